"""Electronic location orders (社区矫正法 Art. 29): granting, renewing and ending them.

Rules encoded here: one of the five grounds; approved by someone holding the county-head role
(县级司法行政部门负责人) over the person's jurisdiction; each term and each renewal at most
``rules().location_order_max_months`` (3); a renewal needs a written re-assessment; the subject signs the
notice; the procuratorate gets a copy.  A wearable tag may be assigned only while an order is in force
(``require_order_for_tag``), and the gateway refuses a tag's fixes once it has ended.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import User
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.models import Device, Ground, LocationOrder, LocationOrderRenewal
from backend.people.models import Case, CaseKind, CaseStatus, Person


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _check_term(start: dt.date, end: dt.date, field: str) -> None:
    limit = add_months(start, rules().location_order_max_months)
    if end < start:
        raise Invalid("届满日期不能早于起始日期", {"field": field})
    if end > limit:
        raise Invalid(
            f"电子定位每次不得超过 {rules().location_order_max_months} 个月（最迟 {limit}）",
            {"field": field, "latest": limit.isoformat()},
        )


def _touch_devices(person: Person) -> None:
    """The gateway re-reads devices changed in the last seconds; an order change must reach it."""
    Device.objects.filter(person=person).update(updated_at=timezone.now())


def grant_order(
    *,
    by: User,
    case: Case,
    ground: str,
    facts: str,
    approved_by: User,
    approved_on: dt.date,
    starts_on: dt.date,
    ends_on: dt.date,
    notice_signed_on: dt.date,
    procuratorate_copy_sent_on: dt.date | None = None,
) -> LocationOrder:
    require(by, "location_order.grant")
    if case.kind != CaseKind.CORRECTION or case.status not in (CaseStatus.ACTIVE, CaseStatus.TERM_ENDED):
        raise Conflict("电子定位只适用于在矫的社区矫正对象", {"case": case.pk})
    if ground not in Ground.values:
        raise Invalid(
            "适用情形须为社区矫正法第二十九条规定的五种情形之一",
            {"field": "ground", "allowed": Ground.values},
        )
    if not facts.strip():
        raise Invalid("请写明适用的事实与理由", {"field": "facts"})
    require(approved_by, "location_order.approve", case.person)
    if approved_on > starts_on:
        raise Invalid("起始日期不能早于批准日期", {"field": "starts_on"})
    _check_term(starts_on, ends_on, "ends_on")
    if notice_signed_on > starts_on + dt.timedelta(days=1):
        raise Invalid("须在执行前向对象送达并签收告知书", {"field": "notice_signed_on"})
    if LocationOrder.objects.filter(
        person=case.person, ended_early_on__isnull=True, ends_on__gte=starts_on
    ).exists():
        raise Conflict("该对象已有尚未届满的电子定位决定，请办理延长")
    with transaction.atomic():
        order = LocationOrder.objects.create(
            person=case.person, case=case, ground=ground, facts=facts, approved_by=approved_by, approved_on=approved_on,
            starts_on=starts_on, ends_on=ends_on, notice_signed_on=notice_signed_on,
            procuratorate_copy_sent_on=procuratorate_copy_sent_on, created_by=by,
        )  # fmt: skip
        _touch_devices(case.person)
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_GRANT, target=order,
                     details={"ground": ground, "days": (ends_on - starts_on).days})  # fmt: skip
    return order


def renew_order(
    *,
    by: User,
    order: LocationOrder,
    new_end: dt.date,
    reassessment: str,
    approved_by: User,
    approved_on: dt.date,
) -> LocationOrder:
    """延长: after a re-assessment, by the county head, for at most another 3 months."""
    require(by, "location_order.renew")
    if order.ended_early_on is not None:
        raise Conflict("电子定位已解除，不能延长")
    if not reassessment.strip():
        raise Invalid("延长须经复查评估，请填写评估意见", {"field": "reassessment"})
    require(approved_by, "location_order.approve", order.person)
    if new_end <= order.ends_on:
        raise Invalid("新的届满日期须晚于原届满日期", {"field": "new_end"})
    _check_term(order.ends_on, new_end, "new_end")
    with transaction.atomic():
        LocationOrderRenewal.objects.create(
            order=order, previous_end=order.ends_on, new_end=new_end, reassessment=reassessment,
            approved_by=approved_by, approved_on=approved_on,
        )  # fmt: skip
        previous = order.ends_on
        LocationOrder.objects.filter(pk=order.pk).update(ends_on=new_end)
        _touch_devices(order.person)
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_RENEW, target=order,
                     details={"from": previous.isoformat(), "to": new_end.isoformat()})  # fmt: skip
    order.refresh_from_db()
    return order


def end_order(*, by: User, order: LocationOrder, on: dt.date, reason: str) -> LocationOrder:
    require(by, "location_order.end")
    if not reason.strip():
        raise Invalid("请填写解除理由", {"field": "reason"})
    with transaction.atomic():
        if not LocationOrder.objects.filter(pk=order.pk, ended_early_on__isnull=True).update(
            ended_early_on=on, end_reason=reason
        ):
            raise Conflict("电子定位已解除")
        _touch_devices(order.person)
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_END, target=order)
    order.refresh_from_db()
    return order


def order_in_force(person: Person, on: dt.date) -> LocationOrder | None:
    return LocationOrder.objects.filter(person=person).in_force(on).first()


def require_order_for_tag(device: Device, person: Person) -> None:
    """A wearable tag only under an order in force (Art. 29); a phone check is an ordinary measure."""
    if device.kind == "tag" and order_in_force(person, timezone.localdate()) is None:
        raise Conflict(
            "佩戴电子定位装置须有生效的电子定位决定（社区矫正法第二十九条）；手机定位核查请登记为手机",
            {"requires": "location_order"},
        )
