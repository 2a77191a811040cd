"""Leave (外出): filing, tiered approval, rejection, withdrawal and the return report (销假).

Rules encoded here (社区矫正法实施办法 Art. 27–29; docs/supervision.md "Leave"; every number from ``rules()``):
- apply at least ``leave_apply_days_ahead`` (3) days before leaving; no dates in the past; end ≥ start;
- ≤ ``leave_township_max_days`` (7) days: the 司法所 of the case approves, by the county's delegation;
  up to ``leave_county_max_days`` (30): a county officer; longer — or, with the leave already approved,
  more than ``leave_window_max_days`` (30) days within any ``leave_window_days`` (60) — the level above
  the county approves, and the procuratorate notification date must be recorded;
- frequent cross-county travel (经常性跨市县活动): one county approval valid up to
  ``leave_frequent_valid_months`` (6) months; it is not counted in the 60-day sum (it has its own limit).
While an approved leave runs the case is 外出中 (``start_leave``/``end_leave`` in backend/people).
A request still undecided ``leave_undecided_expiry_hours`` (0) after 00:00 of its first day — when it would
start: leave is approved before one leaves — expires (the scheduler's ``expiries`` job) and can no longer be
decided.  Approval, refusal and expiry are told to the officer who filed it (the notice port), never with a
name, a destination or an ID number; the refusal's reason only while they may still see the request.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import operator

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, DomainError, Forbidden, Invalid
from backend.core.models import Jurisdiction, Role, User
from backend.core.notices import notify_staff
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.actions.orders import add_months
from backend.monitoring.actions.zones import check_geometry, create_zone
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, CaseKind, CaseStatus, SubStatus
from backend.people.models.scope import OFFICE_ROLES
from backend.supervision import due
from backend.supervision.models import DueKind, LeaveRequest, LeaveState, LeaveTier
from backend.supervision.models.leave import SHANGHAI, day_start

logger = logging.getLogger("anbang.supervision")
L = Jurisdiction.Level
COUNTY_ROLES = (Role.COUNTY_OFFICER, Role.COUNTY_HEAD)
_COUNTED = (LeaveState.APPROVED, LeaveState.RETURNED)


def subject_of(leave: LeaveRequest) -> str:
    return f"leave:{leave.pk}"


# --- tiers ------------------------------------------------------------------------------------------


def _days_taken(leave: LeaveRequest) -> set[dt.date]:
    """The days a counted leave kept the person away (an early return ends it that day)."""
    end = leave.ends_on
    if leave.returned_at is not None:
        end = min(end, timezone.localtime(leave.returned_at, SHANGHAI).date())
    return {leave.starts_on + dt.timedelta(days=n) for n in range((end - leave.starts_on).days + 1)}


def window_days(case: Case, starts_on: dt.date, ends_on: dt.date, *, exclude: int | None = None) -> int:
    """The most leave days — approved ones plus these — in any ``leave_window_days`` window that overlaps
    these dates (实施办法 Art. 28: "两个月内累计超过三十日")."""
    span = rules().leave_window_days
    earlier = LeaveRequest.objects.filter(
        case=case, frequent=False, state__in=_COUNTED,
        starts_on__lte=ends_on + dt.timedelta(days=span - 1), ends_on__gte=starts_on - dt.timedelta(days=span - 1),
    ).exclude(pk=exclude)  # fmt: skip
    days = {starts_on + dt.timedelta(days=n) for n in range((ends_on - starts_on).days + 1)}
    for leave in earlier:
        days |= _days_taken(leave)
    first = starts_on - dt.timedelta(days=span - 1)
    return max(
        sum(1 for d in days if first + dt.timedelta(days=k) <= d < first + dt.timedelta(days=k + span))
        for k in range((ends_on - first).days + 1)
    )


def tier_for(
    case: Case, starts_on: dt.date, ends_on: dt.date, frequent: bool, *, exclude: int | None = None
) -> tuple[str, str]:
    """(tier, basis): basis "frequent", "days" (its length decides) or "window" (the 60-day sum does)."""
    r = rules()
    if frequent:
        return LeaveTier.COUNTY, "frequent"
    days = (ends_on - starts_on).days + 1
    if days > r.leave_county_max_days:
        return LeaveTier.ABOVE, "days"
    if window_days(case, starts_on, ends_on, exclude=exclude) > r.leave_window_max_days:
        return LeaveTier.ABOVE, "window"
    return (LeaveTier.TOWNSHIP if days <= r.leave_township_max_days else LeaveTier.COUNTY), "days"


# --- who approves -----------------------------------------------------------------------------------


def _chain(case: Case) -> list[Jurisdiction]:
    return case.jurisdiction.ancestors()


def approver_office(leave: LeaveRequest) -> tuple[tuple[str, ...], Jurisdiction | None]:
    """(roles, jurisdiction) of whoever decides this leave: the case's 司法所, its county, or the level
    above the county.  A case held directly by the county has no 司法所: the county decides."""
    chain = _chain(leave.case)
    by_level = {j.level: j for j in chain}
    county = by_level.get(L.COUNTY)
    if leave.tier == LeaveTier.TOWNSHIP and L.TOWNSHIP in by_level:
        return (Role.TOWNSHIP_OFFICER,), by_level[L.TOWNSHIP]
    if leave.tier in (LeaveTier.TOWNSHIP, LeaveTier.COUNTY):
        return COUNTY_ROLES, county
    above = chain[chain.index(county) - 1] if county is not None and chain.index(county) > 0 else None
    return OFFICE_ROLES, above


_WHO = {
    LeaveTier.TOWNSHIP: "案件所属司法所工作人员",
    LeaveTier.COUNTY: "所属县级社区矫正机构工作人员",
    LeaveTier.ABOVE: "县级以上（上一级）社区矫正机构工作人员",
}


def decides(user: User, leave: LeaveRequest) -> bool:
    """Whether ``user`` holds one of the roles of the office this leave's tier names (``leave.decide``)."""
    roles, office = approver_office(leave)
    return office is not None and user.jurisdiction_id == office.pk and user.has_role(*roles)


def not_the_approver(leave: LeaveRequest) -> Forbidden:
    roles, office = approver_office(leave)
    return Forbidden(
        f"「{LeaveTier(leave.tier).label}」的外出申请须由{_WHO[LeaveTier(leave.tier)]}审批",
        {"tier": leave.tier, "roles": list(roles), "jurisdiction": office.pk if office else None},
    )


def awaiting_q(user: User) -> Q:
    """The pending leave this user may decide: the approval queue (same rules as ``decides``)."""
    home = user.jurisdiction
    if home is None:
        return Q(pk__in=[])
    tiers = []  # (an empty term would be compiled into every queue query for nothing)
    in_home = Q(case__jurisdiction__path__startswith=home.path)
    if home.level == L.TOWNSHIP and user.has_role(Role.TOWNSHIP_OFFICER):
        tiers.append(Q(tier=LeaveTier.TOWNSHIP) & in_home)
    if home.level == L.COUNTY and user.has_role(*COUNTY_ROLES):
        tiers.append(Q(tier=LeaveTier.COUNTY) & in_home)
        tiers.append(Q(tier=LeaveTier.TOWNSHIP, case__jurisdiction=home))
    if user.has_role(*OFFICE_ROLES) and Jurisdiction.DEPTH[home.level] < Jurisdiction.DEPTH[L.COUNTY]:
        # A city's or province's office decides the tier above the county for the counties beneath it.
        counties = Jurisdiction.objects.filter(parent=home, level=L.COUNTY).values_list("path", flat=True)
        tiers.extend(Q(tier=LeaveTier.ABOVE, case__jurisdiction__path__startswith=path) for path in counties)
    if not tiers:
        return Q(pk__in=[])
    live = Q(state=LeaveState.PENDING, starts_on__gt=last_expired_start(timezone.now()))
    return functools.reduce(operator.or_, tiers) & live


# --- expiry -----------------------------------------------------------------------------------------


def expires_at(leave: LeaveRequest) -> dt.datetime:
    """When an undecided request expires: ``leave_undecided_expiry_hours`` after 00:00 of its first day."""
    return day_start(leave.starts_on) + dt.timedelta(hours=rules().leave_undecided_expiry_hours)


def last_expired_start(now: dt.datetime) -> dt.date:
    """The latest first day whose undecided request has expired at ``now`` (``expires_at`` ≤ now)."""
    moment = now - dt.timedelta(hours=rules().leave_undecided_expiry_hours)
    return timezone.localtime(moment, SHANGHAI).date()


def expire_undecided_leave(now: dt.datetime | None = None) -> int:
    """For the scheduler: pending requests past ``expires_at`` expire, each with its audit row and the
    filer's notice in one transaction (the UPDATE is conditional: a second run, or a decision a moment
    earlier, leaves the row alone)."""
    now = now or timezone.now()
    ids = list(
        LeaveRequest.objects.filter(state=LeaveState.PENDING, starts_on__lte=last_expired_start(now))
        .values_list("pk", flat=True)
    )  # fmt: skip
    expired = 0
    for pk in ids:
        try:
            with transaction.atomic():
                moved = LeaveRequest.objects.filter(pk=pk, state=LeaveState.PENDING).update(
                    state=LeaveState.EXPIRED, decided_at=now
                )
                if not moved:
                    continue
                leave = LeaveRequest.objects.select_related("created_by").get(pk=pk)
                record_audit(actor=None, actor_label="system:expiry", action=AuditAction.LEAVE_EXPIRE, target=leave,
                             details={"case": leave.case_id, "tier": leave.tier, "starts_on": leave.starts_on.isoformat()})  # fmt: skip
                tell_filer(leave, "expired")
                expired += 1
        except Exception:  # its notice could not be queued: it stays pending and is tried again next run
            logger.exception("外出申请 %s 未能标记为逾期", pk)
    return expired


_TITLES = {"approved": "外出申请已批准", "rejected": "外出申请不予批准", "expired": "外出申请逾期未审批"}


def tell_filer(leave: LeaveRequest, outcome: str) -> int:
    """The officer who filed the request hears the outcome: dates and days while they may still see the
    request.  Never the refusal's reason, the destination or a name: a notice may go out by e-mail
    (docs/security.md, "Personal data"); the reason is on the request's page the link opens."""
    filer = leave.created_by
    if filer is None:
        return 0
    number = f"第 {leave.pk} 号外出申请"
    if not LeaveRequest.objects.visible_to(filer).filter(pk=leave.pk).exists():
        return notify_staff(
            [filer], title=_TITLES[outcome], text=f"您提交的{number}已有结果：{_TITLES[outcome][4:]}。"
        )
    span = f"{number}（{leave.starts_on} 至 {leave.ends_on}，{leave.days} 日）"
    if outcome == "approved":
        text = f"您提交的{span}已批准。"
    elif outcome == "rejected":
        text = f"您提交的{span}不予批准，理由请在工作台查看。"
    else:
        text = f"您提交的{span}在出发前未获审批，已失效；如仍需外出，请重新申请。"
    return notify_staff(
        [filer], title=_TITLES[outcome], text=text, link=f"/console/approvals/leave/{leave.pk}/"
    )


# --- actions ----------------------------------------------------------------------------------------


def _check_dates(starts_on: dt.date, ends_on: dt.date, frequent: bool) -> None:
    r = rules()
    today = timezone.localdate()
    if ends_on < starts_on:
        raise Invalid("外出结束日期不能早于开始日期", {"field": "ends_on"})
    if starts_on < today:
        raise Invalid("外出日期不能早于今天", {"field": "starts_on"})
    earliest = today + dt.timedelta(days=r.leave_apply_days_ahead)
    if starts_on < earliest:
        raise Invalid(
            f"外出须至少提前 {r.leave_apply_days_ahead} 日申请（今天申请，最早 {earliest} 出发）",
            {"field": "starts_on", "earliest": earliest.isoformat()},
        )
    if frequent:
        limit = add_months(starts_on, r.leave_frequent_valid_months)
        if ends_on >= limit:
            raise Invalid(
                f"经常性跨市县活动一次审批有效期不超过 {r.leave_frequent_valid_months} 个月（最迟至 "
                f"{limit - dt.timedelta(days=1)}）",
                {"field": "ends_on", "latest": (limit - dt.timedelta(days=1)).isoformat()},
            )


def create_leave(
    *,
    by: User,
    case: Case,
    starts_on: dt.date,
    ends_on: dt.date,
    destination: str,
    reason: str,
    frequent: bool = False,
    destination_geometry: dict | None = None,
) -> LeaveRequest:
    """An officer files a leave request for a correction subject (外出申请)."""
    require(by, "leave.create")
    if case.kind != CaseKind.CORRECTION:
        raise Invalid("只有社区矫正对象的外出须经审批", {"field": "case_id"})
    if case.status != CaseStatus.ACTIVE:
        raise Conflict(
            f"案件当前为「{CaseStatus(case.status).label}」，不能申请外出", {"status": case.status}
        )
    if not (destination or "").strip():
        raise Invalid("请填写外出目的地", {"field": "destination"})
    if not (reason or "").strip():
        raise Invalid("请填写外出事由", {"field": "reason"})
    _check_dates(starts_on, ends_on, frequent)
    if destination_geometry is not None:
        check_geometry(destination_geometry)
    if not frequent:
        overlap = (
            LeaveRequest.objects.filter(
                case=case, frequent=False, state__in=(LeaveState.PENDING, LeaveState.APPROVED),
                starts_on__lte=ends_on, ends_on__gte=starts_on,
            ).values_list("pk", flat=True).first()
        )  # fmt: skip
        if overlap is not None:
            raise Conflict(f"与第 {overlap} 号外出申请的时间重叠", {"overlaps": overlap})
    tier, basis = tier_for(case, starts_on, ends_on, frequent)
    with transaction.atomic():
        leave = LeaveRequest.objects.create(
            case=case, starts_on=starts_on, ends_on=ends_on, destination=destination, reason=reason,
            destination_geometry=destination_geometry, frequent=frequent, tier=tier, tier_basis=basis,
            applied_on=timezone.localdate(), created_by=by,
        )  # fmt: skip
        record_audit(
            actor=by, action=AuditAction.LEAVE_CREATE, target=leave,
            details={"case": case.pk, "tier": tier, "basis": basis, "days": leave.days, "frequent": frequent,
                     "geometry": destination_geometry is not None},
        )  # fmt: skip
    return leave


def _pending(leave: LeaveRequest, verb: str) -> None:
    if leave.state != LeaveState.PENDING:
        raise Conflict(f"外出申请已「{LeaveState(leave.state).label}」，不能{verb}", {"state": leave.state})


def _undecided_in_time(leave: LeaveRequest, verb: str) -> None:
    _pending(leave, verb)
    if expires_at(leave) <= timezone.now():
        raise Conflict("外出申请在出发前未获审批，已失效，请重新申请", {"state": LeaveState.EXPIRED})


def _retier(by: User, leave: LeaveRequest) -> None:
    """Leave approved since filing may have pushed this one over the 60-day sum (or an early return
    under it): the tier is decided again at approval, and a changed tier is recorded."""
    tier, basis = tier_for(leave.case, leave.starts_on, leave.ends_on, leave.frequent, exclude=leave.pk)
    if (tier, basis) == (leave.tier, leave.tier_basis):
        return
    with transaction.atomic():
        LeaveRequest.objects.filter(pk=leave.pk, state=LeaveState.PENDING).update(tier=tier, tier_basis=basis)
        record_audit(actor=by, action=AuditAction.LEAVE_RETIER, target=leave,
                     details={"from": leave.tier, "to": tier, "basis": basis})  # fmt: skip
    leave.tier, leave.tier_basis = tier, basis


def _begin_if_started(leave: LeaveRequest, by: User, today: dt.date) -> bool:
    """外出中 from the first day of an approved leave, through people's transition (audited there)."""
    case = Case.objects.get(pk=leave.case_id)
    if not (leave.starts_on <= today <= leave.ends_on):
        return False
    if case.status != CaseStatus.ACTIVE or case.sub_status != SubStatus.NONE:
        return False  # lost contact or detained: the leave does not change that
    transition_case(by=by, case=case, action="start_leave", effective_on=max(leave.starts_on, today),
                    note=f"外出申请 {leave.pk}")  # fmt: skip
    return True


def approve_leave(
    *, by: User, leave: LeaveRequest, note: str = "", procuratorate_notified_on: dt.date | None = None
) -> LeaveRequest:
    _undecided_in_time(leave, "批准")
    today = timezone.localdate()
    if leave.ends_on < today:
        raise Conflict("外出结束日期已过，不能批准", {"ends_on": leave.ends_on.isoformat()})
    _retier(by, leave)
    require(by, "leave.decide", leave)
    if leave.tier == LeaveTier.ABOVE:
        if procuratorate_notified_on is None:
            raise Invalid(
                "超过三十日（或两个月内累计超过三十日）的外出须通报人民检察院，请填写通报日期",
                {"field": "procuratorate_notified_on"},
            )
        if procuratorate_notified_on > today:
            raise Invalid("通报检察院日期不能晚于今天", {"field": "procuratorate_notified_on"})
    now = timezone.now()
    with transaction.atomic():
        moved = LeaveRequest.objects.filter(pk=leave.pk, state=LeaveState.PENDING).update(
            state=LeaveState.APPROVED, decided_by=by, decided_at=now, decision_note=note or None,
            procuratorate_notified_on=procuratorate_notified_on if leave.tier == LeaveTier.ABOVE else None,
        )  # fmt: skip
        if not moved:
            raise Conflict("外出申请已被他人处理，请刷新后重试")
        leave.refresh_from_db()
        zone = None
        if leave.destination_geometry:
            zone = create_zone(
                by=by, jurisdiction=leave.case.jurisdiction, person=leave.case.person, kind="inclusion",
                name=f"外出目的地（外出申请 {leave.pk}）", geometry=leave.destination_geometry,
            )  # fmt: skip
            LeaveRequest.objects.filter(pk=leave.pk).update(destination_zone=zone)
        due.plan(plan_return(leave))
        started = _begin_if_started(leave, by, today)
        record_audit(
            actor=by, action=AuditAction.LEAVE_APPROVE, target=leave,
            details={"tier": leave.tier, "procuratorate_notified_on": leave.procuratorate_notified_on,
                     "zone": zone.pk if zone else None, "on_leave": started},
        )  # fmt: skip
        tell_filer(leave, "approved")
    leave.refresh_from_db()
    return leave


def plan_return(leave: LeaveRequest) -> due.Plan:
    return due.plan_for_case(
        leave.case, DueKind.LEAVE_RETURN, subject_of(leave), leave.return_due_at,
        leave=leave.pk, ends_on=leave.ends_on.isoformat(),
    )  # fmt: skip


def reject_leave(*, by: User, leave: LeaveRequest, note: str) -> LeaveRequest:
    _undecided_in_time(leave, "作出不予批准决定")
    require(by, "leave.decide", leave)
    if not (note or "").strip():
        raise Invalid("不予批准须说明理由", {"field": "note"})
    with transaction.atomic():
        moved = LeaveRequest.objects.filter(pk=leave.pk, state=LeaveState.PENDING).update(
            state=LeaveState.REJECTED, decided_by=by, decided_at=timezone.now(), decision_note=note
        )
        if not moved:
            raise Conflict("外出申请已被他人处理，请刷新后重试")
        record_audit(actor=by, action=AuditAction.LEAVE_REJECT, target=leave, details={"tier": leave.tier})
        leave.refresh_from_db()
        tell_filer(leave, "rejected")
    return leave


def cancel_leave(*, by: User, leave: LeaveRequest) -> LeaveRequest:
    """撤回: only the officer who filed it, only while it waits for a decision."""
    require(by, "leave.cancel", leave)
    _pending(leave, "撤回")
    with transaction.atomic():
        moved = LeaveRequest.objects.filter(pk=leave.pk, state=LeaveState.PENDING).update(
            state=LeaveState.CANCELLED, decided_at=timezone.now()
        )
        if not moved:
            raise Conflict("外出申请已被他人处理，请刷新后重试")
        due.cancel(DueKind.LEAVE_RETURN, subject_of(leave), "cancelled")
        record_audit(actor=by, action=AuditAction.LEAVE_CANCEL, target=leave)
    leave.refresh_from_db()
    return leave


def return_leave(*, by: User, leave: LeaveRequest, returned_at: dt.datetime | None = None) -> LeaveRequest:
    """销假: the person reported back.  Ends 外出中 and the pending return deadline."""
    require(by, "leave.return")
    if leave.state != LeaveState.APPROVED:
        raise Conflict(f"外出申请为「{LeaveState(leave.state).label}」，不能销假", {"state": leave.state})
    now = timezone.now()
    returned_at = returned_at or now
    if returned_at > now:
        raise Invalid("销假时间不能晚于当前时间", {"field": "returned_at"})
    if leave.decided_at and returned_at < leave.decided_at:
        raise Invalid("销假时间不能早于批准时间", {"field": "returned_at"})
    overdue = returned_at >= leave.return_due_at
    with transaction.atomic():
        moved = LeaveRequest.objects.filter(pk=leave.pk, state=LeaveState.APPROVED).update(
            state=LeaveState.RETURNED, returned_at=returned_at, return_recorded_by=by
        )
        if not moved:
            raise Conflict("外出申请已被他人处理，请刷新后重试")
        due.cancel(DueKind.LEAVE_RETURN, subject_of(leave), "returned")
        case = Case.objects.get(pk=leave.case_id)
        back_on = timezone.localtime(returned_at, SHANGHAI).date()
        other = (
            LeaveRequest.objects.filter(case=case, state=LeaveState.APPROVED, starts_on__lte=back_on, ends_on__gte=back_on)
            .exclude(pk=leave.pk).exists()
        )  # fmt: skip
        ended = case.status == CaseStatus.ACTIVE and case.sub_status == SubStatus.ON_LEAVE and not other
        if ended:
            transition_case(
                by=by, case=case, action="end_leave", effective_on=back_on, note=f"外出申请 {leave.pk}"
            )
        record_audit(
            actor=by, action=AuditAction.LEAVE_RETURN, target=leave,
            details={"returned_at": returned_at.isoformat(), "overdue": overdue, "on_leave_ended": ended},
        )  # fmt: skip
    leave.refresh_from_db()
    return leave


def begin_started_leaves(now: dt.datetime) -> int:
    """For the planner: cases whose approved leave has begun become 外出中.  The approver's decision is
    what moves them, so the transition is recorded as theirs."""
    today = timezone.localtime(now, SHANGHAI).date()
    leaves = LeaveRequest.objects.filter(
        state=LeaveState.APPROVED, starts_on__lte=today, ends_on__gte=today,
        case__status=CaseStatus.ACTIVE, case__sub_status=SubStatus.NONE, decided_by__isnull=False,
    ).select_related("decided_by")  # fmt: skip
    moved = 0
    for leave in leaves:
        try:
            with transaction.atomic():
                moved += _begin_if_started(leave, leave.decided_by, today)
        except DomainError as exc:  # the case changed meanwhile, or a date the people rules refuse
            logger.warning("外出申请 %s 未能标记外出中：%s", leave.pk, exc.message)
    return moved
