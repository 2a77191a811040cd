"""电子定位 in the console (社区矫正法 Art. 29): the officer proposes an order (or its renewal) from the
person page, the county head decides it on the approvals page with what he approves in front of him —
ground, facts, term, and a summary of the person's file — and the proposer sees the decision on the person
page (and in the inbox when refused or expired: backend/monitoring/actions/orders.py).

The forms validate with the API's own inputs (``backend/monitoring/inputs.py``) and write through the same
actions; who may propose, decide or withdraw is the policy's (backend/monitoring/permissions.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.models import User
from backend.core.policy import may
from backend.monitoring.actions import orders as actions
from backend.monitoring.inputs import OrderIn, RenewIn
from backend.monitoring.models import Alert, Decision, Ground, LocationOrder, LocationOrderRenewal
from backend.people.models import Case, CaseKind, CaseStatus
from backend.people.queries import person_in_reach
from backend.supervision.models import Sanction

from ..forms import Form, form_page
from .common import act, staff_page

QUEUE = "/console/approvals/#order-queue"
SUMMARY_DAYS = 90  # the file summary beside a proposal counts alerts and sanctions of this many days
FIELDS = (
    "case_id",
    "ground",
    "facts",
    "starts_on",
    "ends_on",
    "notice_signed_on",
    "procuratorate_copy_sent_on",
)


def _person_url(person_id: int) -> str:
    return f"/console/people/{person_id}/#orders"


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "console/denied.html", {"message": message, "nav": "people"}, status=403)


def _order(user: User, order_id: int) -> LocationOrder:
    return get_object_or_404(
        LocationOrder.objects.visible_to(user).select_related("person", "case"), pk=order_id
    )


# --- the officer: propose, renew, withdraw -----------------------------------------------------------


@staff_page
def propose_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """提请电子定位: the form on the person's correction case; pending until a county head approves it."""
    user = request.user
    person = person_in_reach(user, person_id)
    if not may(user, "location_order.propose"):
        return _denied(request, "无权提请电子定位（仅司法所与县级工作人员）")
    cases = [
        c for c in person.cases.all()
        if c.kind == CaseKind.CORRECTION and c.status in (CaseStatus.ACTIVE, CaseStatus.TERM_ENDED)
    ]  # fmt: skip
    if not cases:
        return _denied(request, "电子定位只适用于在矫的社区矫正对象：该人员没有在矫的社区矫正案件")
    today = timezone.localdate()

    def run(payload: OrderIn) -> str:
        case = next((c for c in cases if c.pk == payload.case_id), None)
        if case is None:
            raise Invalid("请选择该对象在矫的社区矫正案件", {"field": "case_id"})
        values = payload.dict(exclude={"case_id"})
        actions.propose_order(by=user, case=case, **values)
        return _person_url(person.pk)

    latest = actions.add_months(today, actions.rules().location_order_max_months)
    return form_page(request, Form(
        template="console/order_new.html",
        context={"person": person, "cases": cases, "grounds": Ground.choices, "latest": latest, "nav": "people"},
        schema=OrderIn, run=run, done="已提请电子定位，待县级司法行政部门负责人批准后生效", fields=FIELDS,
        initial={"case_id": str(cases[0].pk), "starts_on": today.isoformat(), "notice_signed_on": today.isoformat(),
                 "ends_on": latest.isoformat()},
    ))  # fmt: skip


@staff_page
def renew_page(request: HttpRequest, order_id: int) -> HttpResponse:
    """提请延长: after a re-assessment; the order's end moves when a county head approves."""
    user = request.user
    order = _order(user, order_id)
    if not may(user, "location_order.renew"):
        return _denied(request, "无权提请延长")

    def run(payload: RenewIn) -> str:
        actions.renew_order(by=user, order=order, new_end=payload.new_end, reassessment=payload.reassessment)
        return _person_url(order.person_id)

    latest = actions.add_months(order.ends_on, actions.rules().location_order_max_months)
    return form_page(request, Form(
        template="console/order_renew.html", context={"order": order, "latest": latest, "nav": "people"},
        schema=RenewIn, run=run, done="已提请延长，待县级司法行政部门负责人批准后生效",
        fields=("new_end", "reassessment"), initial={"new_end": latest.isoformat()},
    ))  # fmt: skip


@require_POST
@staff_page
def withdraw_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request.user, order_id)
    return act(request, _person_url(order.person_id),
               lambda: actions.withdraw_order(by=request.user, order=order), f"已撤回第 {order.pk} 号电子定位提请")  # fmt: skip


def _renewal(user: User, order_id: int, renewal_id: int) -> LocationOrderRenewal:
    order = _order(user, order_id)
    return get_object_or_404(
        LocationOrderRenewal.objects.select_related("order__person"), order=order, pk=renewal_id
    )


@require_POST
@staff_page
def withdraw_renewal(request: HttpRequest, order_id: int, renewal_id: int) -> HttpResponse:
    renewal = _renewal(request.user, order_id, renewal_id)
    return act(request, _person_url(renewal.order.person_id),
               lambda: actions.withdraw_renewal(by=request.user, renewal=renewal), "已撤回延长提请")  # fmt: skip


# --- the county head: the queue and the decisions ------------------------------------------------------


def order_queue(user: User) -> dict:
    """What the approvals page shows a county head of location orders: each proposal (and renewal) he may
    decide, with the person's file summary — case, category, alerts and sanctions of the last
    ``SUMMARY_DAYS`` days.  Facts are decrypted to decide on them: the read is audited."""
    if not may(user, "location_order.approve"):
        return {"order_queue": [], "renewal_queue": []}
    orders = [
        o for o in LocationOrder.objects.visible_to(user).proposed()
        .select_related("person", "person__jurisdiction", "case", "proposed_by").order_by("starts_on", "id")[:200]
        if may(user, "location_order.approve", o.person)
    ]  # fmt: skip
    renewals = [
        r for r in LocationOrderRenewal.objects.filter(
            decision=Decision.PROPOSED, order__in=LocationOrder.objects.visible_to(user)
        ).select_related("order", "order__person", "order__person__jurisdiction", "order__case", "proposed_by")
        .order_by("previous_end", "id")[:200]
        if may(user, "location_order.approve", r.order.person)
    ]  # fmt: skip
    cases = {o.case_id for o in orders} | {r.order.case_id for r in renewals}
    persons = {o.person_id for o in orders} | {r.order.person_id for r in renewals}
    since = timezone.now() - dt.timedelta(days=SUMMARY_DAYS)
    alerts = dict(
        Alert.objects.filter(person_id__in=persons, opened_at__gte=since)
        .values_list("person_id").annotate(n=Count("id")).values_list("person_id", "n")
    )  # fmt: skip
    sanctions = dict(
        Sanction.objects.decided()  # the ledger: proposals, refused or lapsed ones are not sanctions
        .filter(case_id__in=cases, created_at__gte=since)
        .values_list("case_id").annotate(n=Count("id")).values_list("case_id", "n")
    )  # fmt: skip
    for item in [*orders, *(r.order for r in renewals)]:
        item.recent_alerts = alerts.get(item.person_id, 0)
        item.recent_sanctions = sanctions.get(item.case_id, 0)
        item.decide_by = actions.decide_by(item.starts_on)
    for renewal in renewals:
        renewal.decide_by = actions.decide_by(renewal.starts_on)
    if orders or renewals:
        record_audit(actor=user, action=AuditAction.LOCATION_ORDER_LIST,
                     details={"ids": [o.pk for o in orders], "renewals": [r.pk for r in renewals],
                              "page": "console.approvals"})  # fmt: skip
    return {"order_queue": orders, "renewal_queue": renewals, "summary_days": SUMMARY_DAYS}


@require_POST
@staff_page
def approve_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request.user, order_id)
    note = request.POST.get("note", "")[:2000]
    return act(request, QUEUE, lambda: actions.approve_order(by=request.user, order=order, note=note),
               f"已批准第 {order.pk} 号电子定位，自 {order.starts_on} 起生效")  # fmt: skip


@require_POST
@staff_page
def refuse_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request.user, order_id)
    reason = request.POST.get("reason", "")[:2000]
    return act(request, QUEUE, lambda: actions.refuse_order(by=request.user, order=order, reason=reason),
               f"已不予批准第 {order.pk} 号电子定位，已通知提请人")  # fmt: skip


@require_POST
@staff_page
def approve_renewal(request: HttpRequest, order_id: int, renewal_id: int) -> HttpResponse:
    renewal = _renewal(request.user, order_id, renewal_id)
    note = request.POST.get("note", "")[:2000]
    return act(request, QUEUE, lambda: actions.approve_renewal(by=request.user, renewal=renewal, note=note),
               f"已批准延长第 {order_id} 号电子定位至 {renewal.new_end}")  # fmt: skip


@require_POST
@staff_page
def refuse_renewal(request: HttpRequest, order_id: int, renewal_id: int) -> HttpResponse:
    renewal = _renewal(request.user, order_id, renewal_id)
    reason = request.POST.get("reason", "")[:2000]
    return act(request, QUEUE, lambda: actions.refuse_renewal(by=request.user, renewal=renewal, reason=reason),
               "已不予批准延长，已通知提请人")  # fmt: skip


def grant_as_head(*, by: User, case: Case, **values) -> LocationOrder:
    """The head grants an order himself (from a rule-made proposal, or renews from the approvals page):
    proposed and approved by him in one transaction — he is the approver, and both steps are audited."""
    with transaction.atomic():
        order = actions.propose_order(by=by, case=case, **values)
        return actions.approve_order(by=by, order=order)
