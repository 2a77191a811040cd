"""The return deadline (销假, 实施办法 Art. 29): planned on approval, due at the start of the day after the
leave ends (Asia/Shanghai); not returned → one leave_overdue alert; returned or withdrawn → none.  And the
case is 外出中 while the approved leave runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.monitoring.models import Alert
from backend.people.models import CaseTransition
from backend.supervision.actions.leave import approve_leave, cancel_leave, return_leave
from backend.supervision.handlers.leave_sanctions import begin_leaves, plan_leave_returns
from backend.supervision.models import DueItem, DueKind, DueState, LeaveRequest
from backend.supervision.models.leave import SHANGHAI
from backend.supervision.sweep import LEASE, claim, sweep
from tests.supervision.test_leave_requests import case, county_officer, file, today  # noqa: F401

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def approved(officers, case):  # noqa: F811
    return approve_leave(by=officers.owner, leave=file(officers.owner, case, 3, 5))


def item(leave: LeaveRequest) -> DueItem:
    return DueItem.objects.get(kind=DueKind.LEAVE_RETURN, subject=f"leave:{leave.pk}")


def test_approval_plans_the_return_at_the_start_of_the_day_after_the_leave(approved):
    due = item(approved)
    end = today() + dt.timedelta(days=5)
    assert due.due_at == dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)
    assert (due.state, due.case_id, due.details) == (
        DueState.PENDING, approved.case_id, {"leave": approved.pk, "ends_on": end.isoformat()},
    )  # fmt: skip


def test_a_pending_or_refused_leave_has_no_deadline(officers, case):  # noqa: F811
    file(officers.owner, case, 3, 5)
    assert plan_leave_returns(timezone.now()) == 0
    assert not DueItem.objects.filter(kind=DueKind.LEAVE_RETURN).exists()


def test_a_leave_not_returned_raises_one_overdue_alert_even_if_swept_twice(approved):
    due_at = item(approved).due_at
    assert sweep(due_at - MINUTE)[DueKind.LEAVE_RETURN] == 0
    assert not Alert.objects.exists()
    assert sweep(due_at)[DueKind.LEAVE_RETURN] == 1
    plan_leave_returns(due_at + MINUTE)  # the hourly planner does not plan it again
    assert sweep(due_at + dt.timedelta(hours=1))[DueKind.LEAVE_RETURN] == 0
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.subject, alert.case_id, alert.person_id) == (
        "leave_overdue", "high", f"leave:{approved.pk}", approved.case_id, approved.case.person_id,
    )  # fmt: skip
    assert item(approved).outcome == f"alert:{alert.pk}"
    assert alert.owner_id == approved.case.officer_id


def test_a_return_before_the_deadline_cancels_it_and_raises_nothing(officers, approved):
    returned = return_leave(by=officers.owner, leave=approved)
    assert returned.state == "returned" and returned.return_recorded_by_id == officers.owner.pk
    due = item(approved)
    assert (due.state, due.outcome) == (DueState.CANCELLED, "returned")
    assert sweep(due.due_at + dt.timedelta(days=1))[DueKind.LEAVE_RETURN] == 0
    assert not Alert.objects.exists()


def test_a_return_recorded_while_the_deadline_is_being_handled_wins(officers, approved):
    due_at = item(approved).due_at
    assert len(claim(10, due_at)) == 1  # a scheduler took it, then died
    return_leave(by=officers.owner, leave=approved)
    assert sweep(due_at + LEASE + MINUTE)[DueKind.LEAVE_RETURN] == 1
    assert (item(approved).state, item(approved).outcome) == (DueState.DONE, "returned")
    assert not Alert.objects.exists()


def test_the_planner_restores_a_missing_deadline_once(approved):
    DueItem.objects.filter(kind=DueKind.LEAVE_RETURN).delete()
    assert plan_leave_returns(timezone.now()) == 1
    plan_leave_returns(timezone.now())
    assert DueItem.objects.filter(kind=DueKind.LEAVE_RETURN, subject=f"leave:{approved.pk}").count() == 1


def test_a_withdrawn_leave_is_not_needed_when_its_old_deadline_comes(officers, case):  # noqa: F811
    leave = file(officers.owner, case, 3, 5)
    cancel_leave(by=officers.owner, leave=leave)
    assert not DueItem.objects.filter(kind=DueKind.LEAVE_RETURN).exists()


def test_a_return_after_the_deadline_is_recorded_as_overdue_and_the_alert_stays(officers, approved):
    # A leave that ended three days ago and was never reported back.
    LeaveRequest.objects.filter(pk=approved.pk).update(
        starts_on=today() - dt.timedelta(days=5), ends_on=today() - dt.timedelta(days=3),
        decided_at=timezone.now() - dt.timedelta(days=10),
    )  # fmt: skip
    DueItem.objects.filter(pk=item(approved).pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    assert sweep(timezone.now())[DueKind.LEAVE_RETURN] == 1
    approved.refresh_from_db()
    return_leave(by=officers.owner, leave=approved)
    assert AuditEvent.objects.get(action="leave.return").details["overdue"] is True
    assert Alert.objects.unresolved().count() == 1  # an officer closes it; a late return does not


def test_the_case_is_on_leave_while_an_approved_leave_runs_and_back_after_the_return(officers, approved):
    case = approved.case  # noqa: F811
    assert begin_leaves(timezone.now()) == 0  # not begun yet
    case.refresh_from_db()
    assert case.sub_status == ""
    # Its first day has come.
    LeaveRequest.objects.filter(pk=approved.pk).update(starts_on=today())
    assert begin_leaves(timezone.now()) == 1
    assert begin_leaves(timezone.now()) == 0
    case.refresh_from_db()
    assert case.sub_status == "on_leave"
    approved.refresh_from_db()
    return_leave(by=officers.owner, leave=approved)
    case.refresh_from_db()
    assert case.sub_status == ""
    assert list(CaseTransition.objects.filter(case=case).values_list("action", "by_id"))[-2:] == [
        ("start_leave", officers.owner.pk), ("end_leave", officers.owner.pk),
    ]  # fmt: skip


def test_approving_a_leave_that_has_already_begun_puts_the_case_on_leave_at_once(officers, case, province_rules):  # noqa: F811  # fmt: skip
    province_rules(leave_undecided_expiry_hours=24)  # a province letting the first day's decision stand
    leave = file(officers.owner, case, 3, 5)
    LeaveRequest.objects.filter(pk=leave.pk).update(starts_on=today())
    leave.refresh_from_db()
    approve_leave(by=officers.owner, leave=leave)
    case.refresh_from_db()
    assert case.sub_status == "on_leave"


def test_a_lost_contact_case_stays_lost_contact_when_its_leave_begins(officers, approved):
    from backend.people.actions.transitions import transition_case

    transition_case(by=officers.owner, case=approved.case, action="report_lost_contact")
    LeaveRequest.objects.filter(pk=approved.pk).update(starts_on=today())
    assert begin_leaves(timezone.now()) == 0
    approved.case.refresh_from_db()
    assert approved.case.sub_status == "lost_contact"
