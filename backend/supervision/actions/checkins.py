"""Check-ins (签到/报告) and plan overrides: recorded by an officer, or sent by the subject's phone app.

App check-ins (信息化核查) prove themselves with the OsmAnd device identifier the office issued (only its
SHA-256 is stored, as for the gateway) and are verified against the inclusion zones that apply to the
person at that moment: inside every one → verified; confidently outside one → not verified; a fix whose
accuracy circle straddles a boundary, or no zone at all → not judged (None).  The location is stored
encrypted (Checkin.point) and is for community correction only (社区矫正法 Art. 29).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid, NotFound, Unauthenticated
from backend.core.models import User
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.alerting import raise_alert
from backend.monitoring.geo.classify import INSIDE, OUTSIDE, classify
from backend.monitoring.models import AlertKind, Device, Protocol, Severity, Zone, ZoneKind
from backend.monitoring.zone_watch import prepare, schedule_of
from backend.people.models import Case, CaseKind, CaseStatus, Person
from backend.supervision.due import plan_many
from backend.supervision.models import (
    HOUR_KINDS,
    Checkin,
    CheckinKind,
    CheckinPlan,
    LeaveRequest,
    LeaveState,
    Period,
)
from backend.supervision.plans import cancel_plan_items, ensure_default_plan, plans_due
from backend.supervision.windows import SHANGHAI
from gps_gateway.identifiers import osmand_digest

OFFICER_KINDS = (
    CheckinKind.PHONE,
    CheckinKind.IN_PERSON,
    CheckinKind.WRITTEN,
    CheckinKind.EDUCATION,
    CheckinKind.COMMUNITY_SERVICE,
)
# One record is one session on one day; more than a day's hours in one record is a typing error.
MAX_HOURS_PER_RECORD = Decimal(24)
SMALLINT_MAX = 32767


def _require_active_correction(case: Case) -> None:
    if case.kind != CaseKind.CORRECTION:
        raise Conflict("只有社区矫正案件有签到与报告", {"kind": case.kind})
    if case.status != CaseStatus.ACTIVE:
        raise Conflict(
            f"案件当前状态为「{CaseStatus(case.status).label}」，不在矫，不能登记签到或设置签到计划",
            {"status": case.status},
        )


def _hours(kind: str, hours: Any) -> Decimal | None:
    if kind not in HOUR_KINDS:
        if hours not in (None, 0, "0"):
            raise Invalid("只有教育学习与社区服务登记小时数", {"field": "hours"})
        return None
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise Invalid("请填写小时数", {"field": "hours"}) from None
    if not (Decimal(0) < value <= MAX_HOURS_PER_RECORD):
        raise Invalid("小时数应大于 0 且不超过 24", {"field": "hours"})
    return value


def record_checkin(
    *,
    by: User,
    case: Case,
    kind: str,
    at: dt.datetime | None = None,
    hours: Any = None,
    note: str | None = None,
) -> Checkin:
    """登记 a report, a visit or hours of education/community service for an active correction case."""
    require(by, "case.manage", case)
    _require_active_correction(case)
    if kind not in OFFICER_KINDS:
        raise Invalid(
            "签到方式应为 phone、in_person、written、education 或 community_service", {"field": "kind"}
        )
    now = timezone.now()
    at = at or now
    if at.tzinfo is None:
        raise Invalid("时间须带时区", {"field": "at"})
    if at > now:
        raise Invalid("签到时间不能晚于现在", {"field": "at"})
    value = _hours(kind, hours)
    with transaction.atomic():
        checkin = Checkin.objects.create(
            case=case, kind=kind, at=at, hours=value, recorded_by=by, note=(note or "").strip() or None
        )
        record_audit(
            actor=by,
            action=AuditAction.CHECKIN_RECORD,
            target=checkin,
            details={"case": case.pk, "kind": kind},
        )
    return checkin


# --- app check-ins -------------------------------------------------------------------------------------


def device_for_credential(identifier: str) -> Device:
    """The OsmAnd device whose issued identifier this is (compared by its hash, as the gateway does)."""
    identifier = (identifier or "").strip()
    if not identifier:
        raise Unauthenticated("缺少设备标识，请在手机应用中填写民警发放的设备标识")
    device = Device.objects.filter(
        protocol=Protocol.OSMAND, identifier=osmand_digest(identifier), retired_at__isnull=True
    ).first()
    if device is None:
        raise Unauthenticated("设备标识无效或设备已停用")
    return device


def _leave_at(case: Case, at: dt.datetime) -> LeaveRequest | None:
    """The approved leave (外出) the moment falls in; a leave ended early by 销假 ends then (as zone_watch)."""
    leaves = LeaveRequest.objects.filter(
        case=case,
        state__in=(LeaveState.APPROVED, LeaveState.RETURNED),
        starts_on__lte=at.astimezone(SHANGHAI).date(),
    ).select_related("destination_zone")
    for leave in leaves:
        start, end = leave.window()
        if start <= at < end:
            return leave
    return None


def inclusion_zones(person: Person, case: Case, at: dt.datetime) -> list[Zone]:
    """Every inclusion zone that applies to the person at ``at``, as zone_watch decides it: the person's own
    zones, the layers they are assigned to and the default correction layers of their jurisdiction and its
    ancestors, each within its schedule.  During approved leave the inclusion zones are suspended and the
    leave's destination zone, if one was drawn, applies instead."""
    leave = _leave_at(case, at)
    if leave is not None:
        zone = leave.destination_zone
        return [zone] if zone is not None and zone.active else []
    zones = Zone.objects.applying_to(person).filter(
        active=True, kind=ZoneKind.INCLUSION, leave_request__isnull=True
    )
    return [z for z in zones if schedule_of(z.schedule).active(at)]


def verify_location(
    person: Person, case: Case, at: dt.datetime, lat: float, lon: float, accuracy_m: float | None
) -> bool | None:
    """True inside every applicable inclusion zone, False confidently outside one, else None."""
    verdicts = []
    for zone in inclusion_zones(person, case, at):
        if (prepared := prepare(zone)) is None:
            continue
        verdicts.append(
            int(classify(prepared, [lat], [lon], [math.nan if accuracy_m is None else accuracy_m])[0])
        )
    if not verdicts:
        return None
    if OUTSIDE in verdicts:
        return False
    return True if all(v == INSIDE for v in verdicts) else None


def app_checkin(*, identifier: str, lat: float, lon: float, accuracy_m: float | None = None) -> Checkin:
    """手机签到: the subject's app reports where they are now; the server's clock is the check-in time."""
    device = device_for_credential(identifier)
    if device.person_id is None:
        raise NotFound("该设备未绑定矫正对象，请联系司法所", {"device": device.pk})
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (math.isfinite(lat) and math.isfinite(lon)):
        raise Invalid("坐标无效", {"field": "lat"})
    if accuracy_m is not None and not (math.isfinite(accuracy_m) and accuracy_m >= 0):
        raise Invalid("定位精度无效", {"field": "accuracy"})
    case = (
        Case.objects.filter(person_id=device.person_id, kind=CaseKind.CORRECTION, status=CaseStatus.ACTIVE)
        .select_related("person__jurisdiction")
        .first()
    )
    if case is None:
        raise NotFound("未找到在矫的社区矫正案件，无需签到", {"device": device.pk})
    now = timezone.now()
    verified = verify_location(case.person, case, now, lat, lon, accuracy_m)
    point = {"lat": lat, "lon": lon, "accuracy_m": accuracy_m}
    with transaction.atomic():
        checkin = Checkin.objects.create(
            case=case, kind=CheckinKind.APP, at=now, device=device, point=point, verified=verified
        )
        record_audit(
            actor=None, actor_label=f"device:{device.pk}", action=AuditAction.CHECKIN_APP, target=checkin,
            details={"case": case.pk, "device": device.pk, "verified": verified},
        )  # fmt: skip
        if verified is False:
            _alert_unverified(checkin, case, device)
    return checkin


UNVERIFIED_SEVERITY = {1: Severity.LOW, 2: Severity.MEDIUM, 3: Severity.HIGH, 4: Severity.CRITICAL}


def _alert_unverified(checkin: Checkin, case: Case, device: Device) -> None:
    """A check-in confidently outside the permitted area meets no duty (Checkin.objects.counting) and
    tells the officer, at the severity the rules set; repeats count on the open alert of the case."""
    severity = UNVERIFIED_SEVERITY.get(rules().checkin_unverified_alert_level)
    if severity is None:
        return
    raise_alert(
        kind=AlertKind.CHECKIN_UNVERIFIED, severity=severity, person=case.person, case=case, device=device,
        subject=f"case:{case.pk}", at=checkin.at,
        details={"checkin": checkin.pk, "case": case.pk, "device": device.pk, "at": checkin.at.isoformat()},
    )  # fmt: skip


# --- plan overrides ------------------------------------------------------------------------------------


def override_plan(
    *,
    by: User,
    case: Case,
    kind: str,
    required: int | None = None,
    period: str | None = None,
    active: bool | None = None,
    reset: bool = False,
) -> CheckinPlan:
    """An officer sets one duty for one person (override=True; the category no longer changes it), or
    ``reset`` hands it back to the category default.  A new period or a stopped duty cancels its pending
    reminders and checks; a new period, or a duty put back in force, starts again from now (plans.counted:
    its current window is held against it when enough of it is left) and is planned at once."""
    require(by, "case.manage", case)
    _require_active_correction(case)
    if kind not in CheckinKind.values:
        raise Invalid("未知的签到方式", {"field": "kind", "allowed": list(CheckinKind.values)})
    if period is not None and period not in Period.values:
        raise Invalid("周期应为 week 或 month", {"field": "period"})
    if required is not None and not 1 <= required <= SMALLINT_MAX:
        raise Invalid("要求次数（小时数）应至少为 1；不再要求请停用该项", {"field": "required"})
    ensure_default_plan(case)
    now = timezone.now()
    with transaction.atomic():
        plan = CheckinPlan.objects.select_for_update().filter(case=case, kind=kind).first()
        before = _state(plan)
        if reset:
            if plan is not None and plan.override:
                CheckinPlan.objects.filter(pk=plan.pk).update(override=False)
            ensure_default_plan(case, now)
            plan = CheckinPlan.objects.filter(case=case, kind=kind).first()
            if plan is None:  # not a default duty of the category, and never set: nothing to hand back
                raise NotFound("该案件没有这项签到要求", {"kind": kind})
            _after_change(before, plan)
        else:
            if plan is None:
                if period is None or required is None:
                    raise Invalid(
                        "新增签到要求须填写周期与次数", {"field": "period" if period is None else "required"}
                    )
                try:
                    with transaction.atomic():
                        plan = CheckinPlan.objects.create(
                            case=case, kind=kind, period=period, required=required, override=True,
                            active=True if active is None else active, active_since=now, created_by=by,
                        )  # fmt: skip
                except IntegrityError:
                    raise Conflict("签到计划已被他人修改，请刷新后重试") from None
            else:
                starts_again = (period is not None and period != plan.period) or (active and not plan.active)
                plan.period = period or plan.period
                plan.required = required or plan.required
                plan.active = plan.active if active is None else active
                plan.override = True
                if starts_again:
                    plan.active_since = now
                plan.save(
                    update_fields=["period", "required", "active", "override", "active_since", "updated_at"]
                )
            _after_change(before, plan)
        record_audit(
            actor=by, action=AuditAction.CHECKIN_PLAN_RESET if reset else AuditAction.CHECKIN_PLAN_OVERRIDE, target=case,
            details={"plan": plan.pk, "kind": kind, "from": before, "to": _state(plan)},
        )  # fmt: skip
        plan_many(plans_due(case, plan, now))  # the current window at once, not at the next hourly run
    return plan


def _state(plan: CheckinPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "period": plan.period,
        "required": plan.required,
        "active": plan.active,
        "override": plan.override,
    }


def _after_change(before: dict | None, plan: CheckinPlan) -> None:
    if before is None:
        return
    if before["period"] != plan.period or (before["active"] and not plan.active):
        cancel_plan_items([plan], reason="plan_changed")
