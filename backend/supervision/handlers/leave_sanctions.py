"""Due-item handlers and planners: leave (外出销假) and the sanctions ladder (考核奖惩建议).

LEAVE_RETURN ("leave:<id>"): planned on approval, and hourly for every approved, unreturned leave; due at
the start of the day after ``ends_on`` (Asia/Shanghai) — the person must have reported back (销假) by the
end of the last day (实施办法 Art. 29).  Not returned then → one ``leave_overdue`` alert (high); returned →
"returned"; withdrawn or refused meanwhile → "not_needed".  A return before the deadline cancels the item.
"""

from __future__ import annotations

import datetime as dt

from backend.monitoring.alerting import raise_alert
from backend.monitoring.models import AlertKind, Severity
from backend.supervision.actions import leave as leave_actions
from backend.supervision.actions.sanctions import suggest_all
from backend.supervision.due import finish_each, handler, plan_many, planner
from backend.supervision.models import DueItem, DueKind, LeaveRequest, LeaveState


@planner
def plan_leave_returns(now: dt.datetime) -> int:
    leaves = LeaveRequest.objects.filter(state=LeaveState.APPROVED).select_related("case")
    plans = [leave_actions.plan_return(leave) for leave in leaves]
    plan_many(plans)
    return len(plans)


@planner
def begin_leaves(now: dt.datetime) -> int:
    """Cases whose approved leave has begun become 外出中 (returns cases moved)."""
    return leave_actions.begin_started_leaves(now)


@planner
def suggest_sanctions(now: dt.datetime) -> int:
    """The sanctions ladder over every case it may apply to (returns suggestions made)."""
    return suggest_all(now)


@handler(DueKind.LEAVE_RETURN)
def handle_leave_return(items: list[DueItem], now: dt.datetime) -> None:
    def act(item: DueItem) -> str:
        # Read inside the item's transaction: a return recorded a moment ago must win over the alert.
        leave = (
            LeaveRequest.objects.select_related("case__person").filter(pk=item.details.get("leave")).first()
        )
        if leave is None or leave.state in (LeaveState.CANCELLED, LeaveState.REJECTED, LeaveState.PENDING):
            return "not_needed"
        if leave.state == LeaveState.RETURNED:
            return "returned"
        alert, _ = raise_alert(
            kind=AlertKind.LEAVE_OVERDUE, severity=Severity.HIGH, person=leave.case.person, case=leave.case,
            subject=leave_actions.subject_of(leave),
            details={"leave": leave.pk, "ends_on": leave.ends_on.isoformat(), "due_item": item.pk},
        )  # fmt: skip
        return f"alert:{alert.pk}"

    finish_each(items, act, now)
