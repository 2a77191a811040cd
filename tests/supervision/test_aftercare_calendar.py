"""The aftercare calendar (安置帮教, docs/supervision.md "Case calendar"): pick-up on the release day for key
persons, contact each quarter (monthly for high risk), risk review every 6 months, the period's end."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.people.actions.cases import update_case
from backend.people.actions.transitions import transition_case
from backend.people.models import CaseMark, CaseStatus
from backend.supervision.actions.followups import record_followup
from backend.supervision.handlers.calendar import handle_contact, plan_aftercare_calendar
from backend.supervision.models import DueKind, FollowUpKind
from backend.supervision.sweep import claim, sweep
from notifications.models import Delivery
from tests.people import factories
from tests.supervision.calendar_helpers import MINUTE, followup_alerts, inbox, items, local, only

pytestmark = pytest.mark.django_db
K = FollowUpKind


def released(officer, tree, *, release_on: dt.date, key: bool = False, handed_over_on: dt.date | None = None):
    person = factories.person(officer, tree.township_a1)
    case = factories.aftercare(officer, person, release_on=release_on, key_person=key,
                               release_notice_on=release_on - dt.timedelta(days=30))  # fmt: skip
    if handed_over_on:
        handover = {"接收人": "测试", "公安登记": "已登记"} if key else None
        case = transition_case(
            by=officer, case=case, action="hand_over", effective_on=handed_over_on, handover=handover
        )
    return case


def test_a_key_person_not_picked_up_by_the_end_of_release_day_raises_one_high_alert(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 3, 10), key=True)
    plan_aftercare_calendar(local(2026, 3, 1))
    item = only(DueKind.AFTERCARE_PICKUP, case=case)
    assert item.due_at == local(2026, 3, 11) == dt.datetime(2026, 3, 10, 16, tzinfo=dt.UTC)
    sweep(local(2026, 3, 10, 23, 59))
    assert followup_alerts() == []
    sweep(local(2026, 3, 11))
    plan_aftercare_calendar(local(2026, 3, 11, 1))
    sweep(local(2026, 3, 11, 1))
    [alert] = followup_alerts(case=case)
    assert (alert.severity, alert.subject, alert.owner_id) == (
        "high",
        f"pickup:{case.pk}:2026-03-10",
        officers.owner.pk,
    )
    item.refresh_from_db()
    assert item.outcome == f"alert:{alert.pk}"


def test_a_pick_up_recorded_on_the_release_day_settles_the_deadline(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 3, 10), key=True)
    record_followup(by=officers.owner, case=case, kind=K.AFTERCARE_PICKUP, at=local(2026, 3, 10, 8, 30))
    plan_aftercare_calendar(local(2026, 3, 1))
    sweep(local(2026, 3, 11))
    assert only(DueKind.AFTERCARE_PICKUP, case=case).outcome == "done"
    assert followup_alerts() == []


def test_a_pick_up_recorded_after_planning_cancels_the_pending_deadline(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 3, 10), key=True)
    plan_aftercare_calendar(local(2026, 3, 1))
    record_followup(by=officers.owner, case=case, kind=K.AFTERCARE_PICKUP, at=local(2026, 3, 10, 8, 30))
    sweep(local(2026, 3, 11))
    item = only(DueKind.AFTERCARE_PICKUP, case=case)
    assert (item.state, item.outcome, followup_alerts()) == ("cancelled", "done", [])


def test_a_releasee_no_longer_a_key_person_needs_no_pick_up(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 3, 10), key=True)
    plan_aftercare_calendar(local(2026, 3, 1))
    update_case(by=officers.owner, case=case, details={"key_person": False})
    sweep(local(2026, 3, 11))
    assert (only(DueKind.AFTERCARE_PICKUP).outcome, followup_alerts()) == ("not_needed", [])


def test_no_contact_within_ninety_days_of_the_hand_over_raises_one_medium_alert(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 1, 1), handed_over_on=dt.date(2026, 1, 2))
    plan_aftercare_calendar(local(2026, 3, 1))
    item = only(DueKind.AFTERCARE_CONTACT, case=case)
    assert (item.subject, item.due_at) == (f"contact:{case.pk}:2026-04-02", local(2026, 4, 3))
    sweep(local(2026, 4, 3) - MINUTE)
    assert followup_alerts() == []
    sweep(local(2026, 4, 3))
    plan_aftercare_calendar(local(2026, 4, 3, 1))
    sweep(local(2026, 4, 3, 1))
    [alert] = followup_alerts(case=case)
    assert (alert.severity, alert.subject) == ("medium", f"contact:{case.pk}:2026-04-02")
    assert len(items(DueKind.AFTERCARE_CONTACT, case=case)) == 1  # the miss is not planned again


def test_recording_a_contact_plans_the_next_one_and_the_old_deadline_raises_nothing(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 1, 1), handed_over_on=dt.date(2026, 1, 2))
    plan_aftercare_calendar(local(2026, 3, 1))
    record_followup(
        by=officers.owner, case=case, kind=K.AFTERCARE_CONTACT, at=local(2026, 3, 1, 10), note="走访"
    )
    old, new = items(DueKind.AFTERCARE_CONTACT, case=case)
    assert (old.subject, old.state) == (f"contact:{case.pk}:2026-04-02", "cancelled")
    assert (new.subject, new.state, new.due_at) == (
        f"contact:{case.pk}:2026-05-30",
        "pending",
        local(2026, 5, 31),
    )
    sweep(local(2026, 4, 3))
    assert followup_alerts() == []
    assert plan_aftercare_calendar(local(2026, 4, 3)) == 0


def test_a_contact_recorded_while_its_deadline_is_being_handled_counts_as_done(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 1, 1), handed_over_on=dt.date(2026, 1, 2))
    plan_aftercare_calendar(local(2026, 3, 1))
    claimed = [i for i in claim(100, local(2026, 4, 3)) if i.kind == DueKind.AFTERCARE_CONTACT]
    record_followup(by=officers.owner, case=case, kind=K.AFTERCARE_CONTACT, at=local(2026, 4, 2, 18))
    handle_contact(claimed, local(2026, 4, 3))
    [item] = claimed
    item.refresh_from_db()
    assert (item.state, item.outcome, followup_alerts()) == ("done", "done", [])


def test_a_high_risk_review_makes_contacts_monthly_through_the_risk_history(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 1, 1), handed_over_on=dt.date(2026, 1, 2))
    record_followup(by=officers.owner, case=case, kind=K.AFTERCARE_RISK_REVIEW, aftercare_risk="high",
                    at=local(2026, 1, 20, 10))  # fmt: skip
    case.refresh_from_db()
    assert case.aftercare_risk == "high"
    assert list(
        CaseMark.objects.filter(case=case, kind="aftercare_risk").values_list("value", "effective_on")
    ) == [("high", dt.date(2026, 1, 20))]
    contact = only(DueKind.AFTERCARE_CONTACT, case=case, state="pending")
    assert (contact.subject, contact.due_at) == (f"contact:{case.pk}:2026-02-01", local(2026, 2, 2))


def test_the_risk_review_reminds_on_its_day_and_alerts_when_more_than_a_week_late(tree, officers):
    case = released(
        officers.owner, tree, release_on=dt.date(2025, 8, 31), handed_over_on=dt.date(2025, 8, 31)
    )
    plan_aftercare_calendar(local(2026, 2, 27))
    remind, late = items(DueKind.AFTERCARE_RISK_REVIEW, case=case)
    assert (remind.subject, remind.due_at) == (f"review:{case.pk}:2026-02-28", local(2026, 2, 28))
    assert (late.subject, late.due_at) == (f"review_late:{case.pk}:2026-02-28", local(2026, 3, 8))
    sweep(local(2026, 2, 28))
    remind.refresh_from_db()
    assert (remind.outcome, inbox(remind)) == ("reminded", [officers.owner.pk])
    assert "帮教风险复评" in Delivery.objects.get(due_item=remind).details["text"]
    plan_aftercare_calendar(local(2026, 3, 7))
    sweep(local(2026, 3, 8) - MINUTE)
    assert followup_alerts(subject__startswith="review") == []
    sweep(local(2026, 3, 8))
    [alert] = followup_alerts(subject__startswith="review")
    assert (alert.severity, alert.subject) == ("low", f"review_late:{case.pk}:2026-02-28")


def test_a_review_held_in_the_week_of_grace_raises_no_alert_and_plans_the_next(tree, officers):
    case = released(
        officers.owner, tree, release_on=dt.date(2025, 8, 31), handed_over_on=dt.date(2025, 8, 31)
    )
    plan_aftercare_calendar(local(2026, 2, 27))
    sweep(local(2026, 2, 28))
    record_followup(by=officers.owner, case=case, kind=K.AFTERCARE_RISK_REVIEW, aftercare_risk="low",
                    at=local(2026, 3, 2, 10))  # fmt: skip
    sweep(local(2026, 3, 8))
    assert followup_alerts(subject__startswith="review") == []
    pending = items(DueKind.AFTERCARE_RISK_REVIEW, case=case, state="pending")
    assert [(i.subject, i.due_at) for i in pending] == [
        (f"review:{case.pk}:2026-09-02", local(2026, 9, 2)),
        (f"review_late:{case.pk}:2026-09-02", local(2026, 9, 10)),
    ]


def test_the_end_of_the_aftercare_period_reminds_the_officer_and_closes_nothing(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 1, 1), handed_over_on=dt.date(2026, 1, 2))
    plan_aftercare_calendar(local(2030, 12, 20))
    item = only(DueKind.AFTERCARE_PERIOD_END, case=case)
    assert (item.subject, item.due_at) == (f"period_end:{case.pk}:2031-01-01", local(2031, 1, 1))
    sweep(local(2031, 1, 1) - MINUTE)
    assert inbox(item) == []
    sweep(local(2031, 1, 1))
    assert inbox(item) == [officers.owner.pk]
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_a_case_closed_before_the_period_end_gets_no_reminder(tree, officers):
    case = released(officers.owner, tree, release_on=dt.date(2026, 1, 1), handed_over_on=dt.date(2026, 1, 2))
    plan_aftercare_calendar(local(2030, 12, 20))
    transition_case(by=officers.owner, case=case, action="terminate", reason="moved_away",
                    effective_on=dt.date(2026, 6, 1))  # fmt: skip
    sweep(local(2031, 1, 1))
    item = only(DueKind.AFTERCARE_PERIOD_END, case=case)
    assert (item.outcome, inbox(item)) == ("not_needed", [])
