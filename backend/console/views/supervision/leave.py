"""外出: file a leave application for a correction subject, withdraw it (撤回: the submitter, before a
decision) and record the return (销假).  The approval itself is on /console/approvals/ (by tier).

Dates, the days-ahead rule, overlaps and the tier are ``create_leave``'s (actions/leave.py, 实施办法
Arts. 27–29); the page shows the earliest start the rules allow today as a hint, from the same ``rules()``."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.rules import rules
from backend.supervision.actions import leave as actions
from backend.supervision.inputs import LeaveFields, ReturnIn
from backend.supervision.models import LeaveRequest

from ...forms import Form, form_page
from ..common import act, staff_page
from .common import case_context, case_in_reach, office_time, person_url
from .offers import leave_refusal, return_refusal


@staff_page
def file_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_in_reach(request, case_id)

    def run(payload: LeaveFields) -> str:
        values = payload.dict(exclude={"destination_geometry"})  # drawn on the map: the API's (zones)
        leave = actions.create_leave(by=request.user, case=case, **values)
        return person_url(leave.case, "leave")

    r = rules()
    today = timezone.localdate()
    context = {
        **case_context(case, "leave"), "refusal": leave_refusal(request.user, case),
        "earliest": today + dt.timedelta(days=r.leave_apply_days_ahead), "ahead": r.leave_apply_days_ahead,
        "township_days": r.leave_township_max_days, "frequent_months": r.leave_frequent_valid_months,
    }  # fmt: skip
    return form_page(request, Form(
        template="console/supervision/leave_new.html", context=context, schema=LeaveFields, run=run,
        done="已提交外出申请，等待审批", checkboxes=("frequent",),
        fields=("starts_on", "ends_on", "destination", "reason", "frequent"),
    ))  # fmt: skip


def _leave(request: HttpRequest, leave_id: int) -> LeaveRequest:
    return get_object_or_404(
        LeaveRequest.objects.visible_to(request.user).select_related("case", "case__person"), pk=leave_id
    )


@require_POST
@staff_page
def cancel(request: HttpRequest, leave_id: int) -> HttpResponse:
    """撤回 (the action refuses anyone but the submitter, and a request already decided)."""
    leave = _leave(request, leave_id)
    return act(
        request, person_url(leave.case, "leave"),
        lambda: actions.cancel_leave(by=request.user, leave=leave),
        f"已撤回第 {leave.pk} 号外出申请",
    )  # fmt: skip


@staff_page
def return_page(request: HttpRequest, leave_id: int) -> HttpResponse:
    """销假: the person reported back; the time defaults to now."""
    leave = _leave(request, leave_id)
    case = leave.case

    def run(payload: ReturnIn) -> str:
        actions.return_leave(by=request.user, leave=leave, returned_at=office_time(payload.returned_at))
        return person_url(case, "leave")

    if request.method != "POST":  # the destination is decrypted to show: read as the API's leave detail
        record_audit(
            actor=request.user, action=AuditAction.LEAVE_READ, target=leave, details={"page": "console"}
        )
    context = {
        **case_context(case, "leave"), "leave": leave, "refusal": return_refusal(request.user, leave),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }  # fmt: skip
    return form_page(request, Form(
        template="console/supervision/leave_return.html", context=context, schema=ReturnIn, run=run,
        done=f"已为第 {leave.pk} 号外出申请销假", fields=("returned_at",),
    ))  # fmt: skip
