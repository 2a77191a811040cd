"""审批 of leave and sanction proposals in the console: the county's queue of sanction proposals (警告, 提请
治安处罚, 提请撤销 proposed by a 司法所: 实施办法 Arts. 32, 35, 36, 46–49) beside the leave queue, each entry with
what is approved — kind, facts and reasons, basis, and the person's file summary (case, category, status,
term, earlier decided sanctions) — and one page per proposal (``/console/approvals/sanctions/<id>/``, and
``/console/approvals/leave/<id>/``), where the notice to the proposer links and where a refusal without a
reason is shown beside the field.

Decisions write through ``supervision.actions.sanction_proposals`` (who decides is the policy's
``sanction.approve``); the forms validate with the API's own inputs (``backend/supervision/inputs.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import DomainError
from backend.core.models import User
from backend.core.policy import may
from backend.supervision.actions import leave as leave_actions
from backend.supervision.actions import sanction_proposals as proposals
from backend.supervision.inputs import SanctionApproveIn, SanctionRefuseIn
from backend.supervision.models import LeaveRequest, LeaveState, LeaveTier, Sanction, SanctionState
from backend.supervision.queries import basis_label, file_summaries

from ..forms import FormErrors, read_form
from .common import staff_page

QUEUE = "/console/approvals/#sanction-queue"


def queue_context(user: User, waiting_leave: list[LeaveRequest]) -> dict:
    """For the approvals page: the sanction proposals this user decides (their county's), and the file
    summary beside every entry — those proposals and the leave waiting for them.  Reasons are decrypted to
    decide on them: the read is audited."""
    queue = list(
        Sanction.objects.visible_to(user).filter(proposals.awaiting_q(user))
        .select_related("case", "case__person", "proposed_by").order_by("proposed_at", "id")[:200]
    )  # fmt: skip
    summaries = file_summaries(user, [*(s.case for s in queue), *(lv.case for lv in waiting_leave)])
    for item in [*queue, *waiting_leave]:
        item.file = summaries[item.case_id]
    for sanction in queue:
        sanction.basis_text = basis_label(sanction.basis)
        sanction.decide_by = proposals.expires_at(sanction)
    if queue:
        record_audit(actor=user, action=AuditAction.SANCTION_LIST,
                     details={"ids": [s.pk for s in queue], "page": "console.approvals"})  # fmt: skip
    return {"sanction_queue": queue}


# --- one sanction proposal ----------------------------------------------------------------------------


def _sanction(user: User, sanction_id: int) -> Sanction:
    return get_object_or_404(
        Sanction.objects.visible_to(user).select_related("case", "case__person", "proposed_by", "decided_by"),
        pk=sanction_id,
    )


def _sanction_page(
    request: HttpRequest,
    sanction: Sanction,
    *,
    failed: str = "",
    errors: FormErrors | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    sanction.file = file_summaries(user, [sanction.case])[sanction.case_id]
    sanction.basis_text = basis_label(sanction.basis)
    open_ = sanction.state == SanctionState.PROPOSED and proposals.expires_at(sanction) > timezone.now()
    record_audit(actor=user, action=AuditAction.SANCTION_READ, target=sanction, details={"page": "console"})
    return render(request, "console/approval_sanction.html", {
        "s": sanction, "decide_by": proposals.expires_at(sanction) if sanction.proposed_at else None,
        "can_decide": open_ and may(user, "sanction.approve", sanction), "failed": failed,
        "errors": errors or FormErrors(), "values": request.POST if failed else {}, "nav": "approvals",
    }, status=status)  # fmt: skip


@staff_page
def sanction_page(request: HttpRequest, sanction_id: int) -> HttpResponse:
    return _sanction_page(request, _sanction(request.user, sanction_id))


def _decide(request: HttpRequest, sanction_id: int, which: str) -> HttpResponse:
    sanction = _sanction(request.user, sanction_id)
    schema = SanctionApproveIn if which == "approve" else SanctionRefuseIn
    payload, errors = read_form(schema, request.POST)
    if payload is not None:
        try:
            if which == "approve":
                proposals.approve_sanction(by=request.user, sanction=sanction, note=payload.note)
            else:
                proposals.refuse_sanction(by=request.user, sanction=sanction, note=payload.note)
        except DomainError as exc:
            errors.from_domain(exc, ("note",))
        else:
            done = "已批准，即时生效" if which == "approve" else "已不予批准，已通知提请人"
            messages.success(request, f"第 {sanction.pk} 号考核奖惩提请{done}")
            return redirect(QUEUE)
    sanction.refresh_from_db()
    return _sanction_page(request, sanction, failed=which, errors=errors, status=422)


@require_POST
@staff_page
def approve_sanction(request: HttpRequest, sanction_id: int) -> HttpResponse:
    return _decide(request, sanction_id, "approve")


@require_POST
@staff_page
def refuse_sanction(request: HttpRequest, sanction_id: int) -> HttpResponse:
    return _decide(request, sanction_id, "refuse")


# --- one leave request ----------------------------------------------------------------------------------


@staff_page
def leave_page(request: HttpRequest, leave_id: int) -> HttpResponse:
    """A leave request as its approver (or the officer who filed it, from the notice) sees it; approve and
    refuse post to the queue's own routes (views/approvals.py)."""
    user = request.user
    leave = get_object_or_404(
        LeaveRequest.objects.visible_to(user).select_related(
            "case", "case__person", "created_by", "decided_by"
        ),
        pk=leave_id,
    )
    leave.file = file_summaries(user, [leave.case])[leave.case_id]
    open_ = leave.state == LeaveState.PENDING and leave_actions.expires_at(leave) > timezone.now()
    record_audit(actor=user, action=AuditAction.LEAVE_READ, target=leave, details={"page": "console"})
    return render(request, "console/approval_leave.html", {
        "lv": leave, "tier": LeaveTier(leave.tier).label, "expires_at": leave_actions.expires_at(leave),
        "can_decide": open_ and may(user, "leave.decide", leave), "nav": "approvals",
    })  # fmt: skip
