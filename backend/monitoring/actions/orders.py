"""Electronic location orders (社区矫正法 Art. 29): proposing, deciding, renewing and ending them.

Rules encoded here: one of the five grounds; each term and each renewal at most
``rules().location_order_max_months`` (3); a renewal needs a written re-assessment; the subject signs the
notice; the procuratorate gets a copy.  The approval is given in the system, not recorded: an office
officer proposes (提请), and the order — or the renewal's new end — is in force only once a county head
(县级司法行政部门负责人) over the person's jurisdiction approves it (``approve_order``).  Any such head may
decide, not one the officer names: the law names the office (负责人), and a named head away on the day
would let the proposal lapse.  A refusal needs a reason; the proposer may withdraw before a decision; a
proposal still undecided after its start date (plus ``location_order_decision_grace_days``) expires in the
scheduler's sweep.  Refusals and expiries tell the proposer (``backend.core.notices``) in the decision's
transaction.  A wearable tag may be assigned only while an order is in force (``require_order_for_tag``),
and the gateway refuses a tag's fixes outside one.
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
from backend.core.notices import notify_staff
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.models import Decision, Device, Ground, LocationOrder, LocationOrderRenewal
from backend.monitoring.models.order import OPEN_DECISIONS
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


def decide_by(starts_on: dt.date) -> dt.date:
    """The last day a proposal starting on ``starts_on`` may be decided; after it, it expires."""
    return starts_on + dt.timedelta(days=rules().location_order_decision_grace_days)


def _link(order: LocationOrder) -> str:
    return f"/console/people/{order.person_id}/#orders"


def _what(order: LocationOrder, renewal: LocationOrderRenewal | None) -> str:
    # Case number and order number only: a notice may go out by e-mail (docs/security.md, "Personal data").
    number = order.case.number or f"第 {order.case_id} 号案件"
    if renewal is None:
        return f"案件 {number} 的电子定位提请（第 {order.pk} 号，{order.starts_on} 至 {order.ends_on}）"
    return f"案件 {number} 的电子定位延长提请（第 {order.pk} 号，延长至 {renewal.new_end}）"


def _tell_proposer(
    order: LocationOrder, renewal: LocationOrderRenewal | None, decided_by: User | None, title: str, text: str
) -> None:
    proposer = (renewal or order).proposed_by
    if proposer is None or (decided_by is not None and proposer.pk == decided_by.pk):
        return  # a head who proposed and decided it himself knows
    notify_staff([proposer], title=title, text=f"{_what(order, renewal)}{text}", link=_link(order))


# --- the order -----------------------------------------------------------------------------------


def propose_order(
    *,
    by: User,
    case: Case,
    ground: str,
    facts: str,
    starts_on: dt.date,
    ends_on: dt.date,
    notice_signed_on: dt.date,
    procuratorate_copy_sent_on: dt.date | None = None,
    on: dt.date | None = None,
) -> LocationOrder:
    """提请: the officer's proposal, checked as the order will be; not in force until a head approves it."""
    require(by, "location_order.propose")
    on = on or timezone.localdate()
    if case.kind != CaseKind.CORRECTION or case.status not in (CaseStatus.ACTIVE, CaseStatus.TERM_ENDED):
        raise Conflict("电子定位只适用于在矫的社区矫正对象", {"case": case.pk})
    if ground not in Ground.values:
        raise Invalid(
            "适用情形须为社区矫正法第二十九条规定的五种情形之一",
            {"field": "ground", "allowed": Ground.values},
        )
    if not facts.strip():
        raise Invalid("请写明适用的事实与理由", {"field": "facts"})
    if starts_on < on:
        raise Invalid("起始日期不能早于提请日期（须先经批准）", {"field": "starts_on"})
    _check_term(starts_on, ends_on, "ends_on")
    if notice_signed_on > starts_on + dt.timedelta(days=1):
        raise Invalid("须在执行前向对象送达并签收告知书", {"field": "notice_signed_on"})
    with transaction.atomic():
        # Under the person's row lock: two officers proposing at once make one proposal, not two.
        Person.objects.select_for_update().filter(pk=case.person_id).first()
        if LocationOrder.objects.filter(
            person=case.person,
            decision__in=OPEN_DECISIONS,
            ended_early_on__isnull=True,
            ends_on__gte=starts_on,
        ).exists():
            raise Conflict("该对象已有待批准或尚未届满的电子定位决定，请等待审批或办理延长")
        order = LocationOrder.objects.create(
            person=case.person, case=case, ground=ground, facts=facts, decision=Decision.PROPOSED,
            starts_on=starts_on, ends_on=ends_on, notice_signed_on=notice_signed_on,
            procuratorate_copy_sent_on=procuratorate_copy_sent_on, proposed_by=by,
        )  # fmt: skip
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_PROPOSE, target=order,
                     details={"ground": ground, "days": (ends_on - starts_on).days})  # fmt: skip
    return order


def _decide(order: LocationOrder, by: User, on: dt.date, decision: str, reason: str | None) -> bool:
    return bool(
        LocationOrder.objects.filter(pk=order.pk, decision=Decision.PROPOSED).update(
            decision=decision,
            decided_by=by,
            decided_at=timezone.now(),
            decision_reason=reason or None,
            approved_on=on if decision == Decision.APPROVED else None,
        )
    )


def approve_order(
    *, by: User, order: LocationOrder, note: str = "", on: dt.date | None = None
) -> LocationOrder:
    """批准: a county head over the person puts the proposed order in force from its start date (Art. 29).
    The proposer may approve his own only if he is such a head himself."""
    require(by, "location_order.approve", order.person)
    on = on or timezone.localdate()
    if order.decision != Decision.PROPOSED:
        raise Conflict(
            f"该电子定位已{order.get_decision_display()}，不能再次审批", {"decision": order.decision}
        )
    if on > decide_by(order.starts_on):
        raise Conflict(
            "提请已逾期（起始日期已过），请重新提请", {"decide_by": decide_by(order.starts_on).isoformat()}
        )
    with transaction.atomic():
        if not _decide(order, by, on, Decision.APPROVED, note.strip()):
            raise Conflict("该电子定位已由他人审批或撤回")
        _touch_devices(order.person)
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_APPROVE, target=order)
    order.refresh_from_db()
    return order


def refuse_order(*, by: User, order: LocationOrder, reason: str) -> LocationOrder:
    """不予批准, with a reason; the proposer is told in the same transaction."""
    require(by, "location_order.approve", order.person)
    if not reason.strip():
        raise Invalid("不予批准须写明理由", {"field": "reason"})
    if order.decision != Decision.PROPOSED:
        raise Conflict(
            f"该电子定位已{order.get_decision_display()}，不能再次审批", {"decision": order.decision}
        )
    with transaction.atomic():
        if not _decide(order, by, timezone.localdate(), Decision.REFUSED, reason.strip()):
            raise Conflict("该电子定位已由他人审批或撤回")
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_REFUSE, target=order)
        _tell_proposer(order, None, by, "电子定位提请未获批准", "不予批准，理由请在控制台查看。")
    order.refresh_from_db()
    return order


def withdraw_order(*, by: User, order: LocationOrder) -> LocationOrder:
    """撤回: the proposer takes the proposal back before it is decided."""
    require(by, "location_order.withdraw", order)
    with transaction.atomic():
        if not LocationOrder.objects.filter(pk=order.pk, decision=Decision.PROPOSED).update(
            decision=Decision.WITHDRAWN, decided_at=timezone.now()
        ):
            raise Conflict("该电子定位已审批，不能撤回", {"decision": order.decision})
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_WITHDRAW, target=order)
    order.refresh_from_db()
    return order


# --- renewals ------------------------------------------------------------------------------------


def renew_order(
    *, by: User, order: LocationOrder, new_end: dt.date, reassessment: str, on: dt.date | None = None
) -> LocationOrderRenewal:
    """提请延长: after a re-assessment, for at most another 3 months; the end moves when a head approves."""
    require(by, "location_order.renew")
    on = on or timezone.localdate()
    if order.decision != Decision.APPROVED:
        raise Conflict("只有已批准的电子定位可以延长")
    if order.ended_early_on is not None:
        raise Conflict("电子定位已解除，不能延长")
    if not reassessment.strip():
        raise Invalid("延长须经复查评估，请填写评估意见", {"field": "reassessment"})
    if on > decide_by(order.ends_on + dt.timedelta(days=1)):
        raise Conflict("电子定位已届满，不能延长，请重新提请")
    if new_end <= order.ends_on:
        raise Invalid("新的届满日期须晚于原届满日期", {"field": "new_end"})
    _check_term(order.ends_on, new_end, "new_end")
    with transaction.atomic():
        if order.renewals.filter(decision=Decision.PROPOSED).exists():
            raise Conflict("已有待批准的延长提请")
        renewal = LocationOrderRenewal.objects.create(
            order=order,
            previous_end=order.ends_on,
            new_end=new_end,
            reassessment=reassessment,
            proposed_by=by,
        )
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_RENEW, target=order,
                     details={"renewal": renewal.pk, "from": order.ends_on.isoformat(), "to": new_end.isoformat()})  # fmt: skip
    return renewal


def pending_renewal(order: LocationOrder) -> LocationOrderRenewal | None:
    return order.renewals.filter(decision=Decision.PROPOSED).first()


def _decide_renewal(
    renewal: LocationOrderRenewal, by: User, decision: str, reason: str | None, on: dt.date | None = None
) -> bool:
    return bool(
        LocationOrderRenewal.objects.filter(pk=renewal.pk, decision=Decision.PROPOSED).update(
            decision=decision,
            decided_by=by,
            decided_at=timezone.now(),
            decision_reason=reason or None,
            approved_on=(on or timezone.localdate()) if decision == Decision.APPROVED else None,
        )
    )


def approve_renewal(
    *, by: User, renewal: LocationOrderRenewal, note: str = "", on: dt.date | None = None
) -> LocationOrder:
    """批准延长: the order's end moves to the renewal's, if the order still ends where it did when proposed."""
    order = renewal.order
    require(by, "location_order.approve", order.person)
    on = on or timezone.localdate()
    if renewal.decision != Decision.PROPOSED:
        raise Conflict(f"该延长提请已{renewal.get_decision_display()}，不能再次审批")
    if order.ended_early_on is not None or order.ends_on != renewal.previous_end:
        raise Conflict("电子定位在提请延长后已解除或变更，请重新提请")
    if on > decide_by(renewal.starts_on):
        raise Conflict("延长提请已逾期（原届满日期已过），请重新提请")
    with transaction.atomic():
        if not _decide_renewal(renewal, by, Decision.APPROVED, note.strip(), on):
            raise Conflict("该延长提请已由他人审批或撤回")
        LocationOrder.objects.filter(pk=order.pk, ends_on=renewal.previous_end).update(
            ends_on=renewal.new_end
        )
        _touch_devices(order.person)
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_APPROVE, target=order,
                     details={"renewal": renewal.pk, "to": renewal.new_end.isoformat()})  # fmt: skip
    order.refresh_from_db()
    return order


def refuse_renewal(*, by: User, renewal: LocationOrderRenewal, reason: str) -> LocationOrderRenewal:
    order = renewal.order
    require(by, "location_order.approve", order.person)
    if not reason.strip():
        raise Invalid("不予批准须写明理由", {"field": "reason"})
    with transaction.atomic():
        if not _decide_renewal(renewal, by, Decision.REFUSED, reason.strip()):
            raise Conflict("该延长提请已审批或撤回")
        record_audit(
            actor=by, action=AuditAction.LOCATION_ORDER_REFUSE, target=order, details={"renewal": renewal.pk}
        )
        _tell_proposer(
            order,
            renewal,
            by,
            "电子定位延长未获批准",
            f"不予批准，电子定位于 {order.ends_on} 届满；理由请在控制台查看。",
        )
    renewal.refresh_from_db()
    return renewal


def withdraw_renewal(*, by: User, renewal: LocationOrderRenewal) -> LocationOrderRenewal:
    require(by, "location_order.withdraw", renewal)
    with transaction.atomic():
        if not LocationOrderRenewal.objects.filter(pk=renewal.pk, decision=Decision.PROPOSED).update(
            decision=Decision.WITHDRAWN, decided_at=timezone.now()
        ):
            raise Conflict("该延长提请已审批，不能撤回")
        record_audit(actor=by, action=AuditAction.LOCATION_ORDER_WITHDRAW, target=renewal.order,
                     details={"renewal": renewal.pk})  # fmt: skip
    renewal.refresh_from_db()
    return renewal


# --- expiry (the scheduler's sweep) ----------------------------------------------------------------


def expire_undecided(now: dt.datetime | None = None, *, batch: int = 500) -> int:
    """逾期未批: proposals (orders and renewals) nobody decided by their start date plus the grace days
    expire, each in its own transaction with its audit row and the proposer's notice.  A conditional
    UPDATE per row, so two sweeps — or a head deciding at the same moment — never both win."""
    today = timezone.localdate(now)
    last_start = today - dt.timedelta(days=1 + rules().location_order_decision_grace_days)
    expired = 0
    orders = (
        LocationOrder.objects.proposed().filter(starts_on__lte=last_start)
        .select_related("case", "proposed_by").order_by("starts_on", "pk")[:batch]
    )  # fmt: skip
    for order in orders:
        with transaction.atomic():
            if not LocationOrder.objects.filter(pk=order.pk, decision=Decision.PROPOSED).update(
                decision=Decision.EXPIRED, decided_at=timezone.now()
            ):
                continue
            record_audit(actor=None, actor_label="system:scheduler", action=AuditAction.LOCATION_ORDER_EXPIRE,
                         target=order, details={"starts_on": order.starts_on.isoformat()})  # fmt: skip
            _tell_proposer(order, None, None, "电子定位提请逾期未批",
                           "在起始日期前未经批准，已失效；如仍需要，请重新提请。")  # fmt: skip
            expired += 1
    renewals = (
        LocationOrderRenewal.objects.filter(decision=Decision.PROPOSED, previous_end__lt=last_start)
        .select_related("order", "order__case", "proposed_by").order_by("previous_end", "pk")[:batch]
    )  # fmt: skip
    for renewal in renewals:
        with transaction.atomic():
            if not LocationOrderRenewal.objects.filter(pk=renewal.pk, decision=Decision.PROPOSED).update(
                decision=Decision.EXPIRED, decided_at=timezone.now()
            ):
                continue
            record_audit(actor=None, actor_label="system:scheduler", action=AuditAction.LOCATION_ORDER_EXPIRE,
                         target=renewal.order, details={"renewal": renewal.pk})  # fmt: skip
            _tell_proposer(renewal.order, renewal, None, "电子定位延长逾期未批",
                           f"在原届满日期前未经批准，已失效；电子定位于 {renewal.previous_end} 届满。")  # fmt: skip
            expired += 1
    return expired


# --- ending, and what a tag needs ------------------------------------------------------------------


def end_order(*, by: User, order: LocationOrder, on: dt.date, reason: str) -> LocationOrder:
    require(by, "location_order.end")
    if not reason.strip():
        raise Invalid("请填写解除理由", {"field": "reason"})
    if order.decision != Decision.APPROVED:
        raise Conflict("未经批准的电子定位无需解除；待批准的提请可由提请人撤回")
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
    """A wearable tag only under an approved order in force (Art. 29); a phone check is an ordinary measure."""
    if device.kind == "tag" and order_in_force(person, timezone.localdate()) is None:
        raise Conflict(
            "佩戴电子定位装置须有经批准且生效的电子定位决定（社区矫正法第二十九条）；手机定位核查请登记为手机",
            {"requires": "location_order"},
        )
