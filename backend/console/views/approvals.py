"""审批: the leave queue by tier (approve / refuse through the supervision actions) and, for the county
head, electronic location (社区矫正法 Art. 29): the proposals the sanction rules made (grant the order —
the head is its approver — or decline with a reason) and the orders in force (renew or end them)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.policy import may
from backend.monitoring.actions import orders as order_actions
from backend.monitoring.models import Ground, LocationOrder
from backend.supervision.actions import leave as leave_actions
from backend.supervision.actions import sanctions as sanction_actions
from backend.supervision.models import LeaveRequest, LeaveTier, SanctionSuggestion

from ..dashboard import open_order_proposals
from ..exports import wants_xlsx
from . import approval_decisions, list_exports
from . import orders as order_views
from .common import act, parse_date, staff_page

BACK = "/console/approvals/"


@staff_page
def approvals_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    waiting = list(
        LeaveRequest.objects.visible_to(user).filter(leave_actions.awaiting_q(user))
        .select_related("case", "case__person", "created_by").order_by("starts_on", "id")[:200]
    )  # fmt: skip
    if wants_xlsx(request):  # the leave queue as a file, audited as an export
        return list_exports.leave_queue(request, waiting)
    by_tier = [(tier, label, [lv for lv in waiting if lv.tier == tier]) for tier, label in LeaveTier.choices]
    today = timezone.localdate()
    head = may(user, "location_order.approve")
    orders, proposals = [], []
    if head:
        orders = list(
            LocationOrder.objects.visible_to(user).in_force(today).select_related("person", "case")
            .order_by("ends_on", "id")[:200]
        )  # fmt: skip
        proposals = list(
            open_order_proposals(user)
            .select_related("case", "case__person")
            .order_by("created_at", "id")[:200]
        )
    # Destinations and reasons are decrypted to decide on them: audited like the API's leave reads.
    record_audit(
        actor=user, action=AuditAction.LEAVE_LIST,
        details={"ids": [lv.pk for lv in waiting], "orders": [o.pk for o in orders],
                 "proposals": [s.pk for s in proposals], "page": "console.approvals"},
    )  # fmt: skip
    return render(request, "console/approvals.html", {
        "by_tier": by_tier, "waiting": waiting, "orders": orders, "proposals": proposals, "grounds": Ground.choices,
        "head": head, "today": today,
        "soon": today + dt.timedelta(days=7), "nav": "approvals", **order_views.order_queue(user),
        **approval_decisions.queue_context(user, waiting),  # sanction proposals; file summaries
    })  # fmt: skip


def _leave(request: HttpRequest, leave_id: int) -> LeaveRequest:
    return get_object_or_404(
        LeaveRequest.objects.visible_to(request.user).select_related("case"), pk=leave_id
    )


@require_POST
@staff_page
def approve_leave(request: HttpRequest, leave_id: int) -> HttpResponse:
    leave = _leave(request, leave_id)
    note = request.POST.get("note", "")[:2000]
    notified = parse_date(request.POST.get("procuratorate_notified_on"))
    return act(
        request, BACK,
        lambda: leave_actions.approve_leave(by=request.user, leave=leave, note=note, procuratorate_notified_on=notified),
        f"已批准第 {leave.pk} 号外出申请",
    )  # fmt: skip


@require_POST
@staff_page
def reject_leave(request: HttpRequest, leave_id: int) -> HttpResponse:
    leave = _leave(request, leave_id)
    note = request.POST.get("note", "")[:2000]
    return act(request, BACK, lambda: leave_actions.reject_leave(by=request.user, leave=leave, note=note),
               f"已不予批准第 {leave.pk} 号外出申请")  # fmt: skip


def _order(request: HttpRequest, order_id: int) -> LocationOrder:
    return get_object_or_404(LocationOrder.objects.visible_to(request.user), pk=order_id)


@require_POST
@staff_page
def renew_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    new_end = parse_date(request.POST.get("new_end"))
    reassessment = request.POST.get("reassessment", "")[:2000]

    def renew():
        if new_end is None:
            raise Invalid("请填写新的届满日期")
        with transaction.atomic():  # the head proposes and approves the renewal himself (views/orders.py)
            renewal = order_actions.renew_order(
                by=request.user, order=order, new_end=new_end, reassessment=reassessment
            )
            return order_actions.approve_renewal(by=request.user, renewal=renewal)

    return act(request, BACK, renew, f"已延长第 {order.pk} 号电子定位")


@require_POST
@staff_page
def end_order(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    reason = request.POST.get("reason", "")[:200]
    return act(
        request, BACK,
        lambda: order_actions.end_order(by=request.user, order=order, on=timezone.localdate(), reason=reason),
        f"已解除第 {order.pk} 号电子定位",
    )  # fmt: skip


def _proposal(request: HttpRequest, suggestion_id: int) -> SanctionSuggestion:
    if not may(request.user, "location_order.approve"):
        raise Http404
    return get_object_or_404(
        open_order_proposals(request.user).select_related("case", "case__person"), pk=suggestion_id
    )


@require_POST
@staff_page
def grant_proposed_order(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """批准: the county head grants the order the rules proposed, as its approver, and the proposal is
    accepted in the same transaction (the order's own checks — ground, term, notice — apply)."""
    proposal = _proposal(request, suggestion_id)
    post = request.POST
    facts = post.get("facts", "")[:4000]

    def grant():
        starts, ends, notice = (parse_date(post.get(k)) for k in ("starts_on", "ends_on", "notice_signed_on"))
        if starts is None or ends is None or notice is None:
            raise Invalid("请填写起始日期、届满日期和告知书签收日期")
        with transaction.atomic():
            order = order_views.grant_as_head(
                by=request.user, case=proposal.case, ground=post.get("ground", ""), facts=facts,
                starts_on=starts, ends_on=ends, notice_signed_on=notice,
                procuratorate_copy_sent_on=parse_date(post.get("procuratorate_copy_sent_on")),
            )  # fmt: skip
            sanction_actions.accept_suggestion(by=request.user, suggestion=proposal, reason=facts)
        return order

    return act(request, BACK, grant, f"已批准对第 {proposal.case_id} 号案件使用电子定位")


@require_POST
@staff_page
def decline_proposed_order(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    proposal = _proposal(request, suggestion_id)
    note = request.POST.get("note", "")[:2000]
    return act(
        request, BACK,
        lambda: sanction_actions.dismiss_suggestion(by=request.user, suggestion=proposal, note=note),
        "已不予批准电子定位建议",
    )  # fmt: skip
