"""Check-in windows spent in custody (羁押): the person could not report, so no missed_checkin alert."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.monitoring.models import Alert
from backend.people.actions.transitions import transition_case
from backend.supervision.due import run_planners
from backend.supervision.models import DueItem, DueKind
from backend.supervision.sweep import sweep
from tests.supervision.test_checkin_plans import active_case, at

pytestmark = pytest.mark.django_db


def week_45_outcomes(case) -> dict[str, str]:
    """Week 45 of 2026: Monday 2 to Sunday 8 November (a 严管 subject owes an in-person and a written report)."""
    ends = DueItem.objects.filter(case=case, kind=DueKind.CHECKIN_WINDOW_END, details__window="2026-W45")
    return {item.details["duty"]: item.outcome for item in ends}


def custody(officers, case, first: dt.date, released: dt.date | None = None) -> None:
    transition_case(by=officers.owner, case=case, action="detain", effective_on=first)
    if released is not None:
        transition_case(by=officers.owner, case=case, action="end_detention", effective_on=released)


def test_a_week_in_custody_raises_no_missed_checkin_and_its_items_close_as_detained(officers, tree):
    held, free = active_case(officers, tree), active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    custody(officers, held, dt.date(2026, 11, 6))  # still in custody when the week ends
    sweep(at(2026, 11, 9, 0, 0))
    assert week_45_outcomes(held) == {"in_person": "detained", "written": "detained"}
    assert not Alert.objects.filter(kind="missed_checkin", case=held).exists()
    assert Alert.objects.filter(kind="missed_checkin", case=free).count() == 2  # nothing else changed


def test_custody_that_ended_before_the_week_began_excuses_nothing(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    custody(officers, case, dt.date(2026, 10, 20), released=dt.date(2026, 11, 2))  # back on the Monday
    sweep(at(2026, 11, 9, 0, 0))
    assert Alert.objects.filter(kind="missed_checkin", case=case).count() == 2
    assert set(week_45_outcomes(case).values()) == {
        f"alert:{pk}" for pk in Alert.objects.filter(case=case).values_list("pk", flat=True)
    }


def test_a_custody_that_began_and_ended_within_the_week_excuses_it(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    custody(officers, case, dt.date(2026, 11, 3), released=dt.date(2026, 11, 5))  # 3 and 4 November
    sweep(at(2026, 11, 9, 0, 0))
    assert week_45_outcomes(case) == {"in_person": "detained", "written": "detained"}
    assert not Alert.objects.filter(kind="missed_checkin").exists()


def test_a_province_may_excuse_only_windows_with_more_days_in_custody(officers, tree, province_rules):
    province_rules(checkin_custody_excuse_days=3)
    short, long = active_case(officers, tree), active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    custody(officers, short, dt.date(2026, 11, 3), released=dt.date(2026, 11, 5))  # two days
    custody(officers, long, dt.date(2026, 11, 3), released=dt.date(2026, 11, 6))  # three days
    sweep(at(2026, 11, 9, 0, 0))
    assert Alert.objects.filter(kind="missed_checkin", case=short).count() == 2
    assert week_45_outcomes(long) == {"in_person": "detained", "written": "detained"}


def test_the_compliance_view_shows_a_short_week_in_custody_as_custody_and_a_met_one_as_met(officers, tree):
    from backend.supervision.actions.checkins import record_checkin
    from backend.supervision.plans import compliance

    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 3, 10))
    custody(officers, case, dt.date(2026, 11, 4), released=dt.date(2026, 11, 6))
    duties = {d["kind"]: {w["window"]: w["status"] for w in d["windows"]} for d in
              compliance(case, "2026-11", now=at(2026, 11, 20))}  # fmt: skip
    assert duties["in_person"]["2026-W45"] == "custody"
    assert duties["written"]["2026-W45"] == "met"
    assert duties["in_person"]["2026-W46"] == "missed"  # free all week


def test_a_person_released_before_the_week_closes_still_gets_the_closing_reminder(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    custody(officers, case, dt.date(2026, 11, 2), released=dt.date(2026, 11, 5))
    sweep(at(2026, 11, 8, 0, 0))  # the closing reminders, a day before the end
    closing = DueItem.objects.filter(case=case, kind=DueKind.CHECKIN_CLOSING, details__window="2026-W45")
    assert {i.outcome for i in closing} <= {"reminded", "no_sms"} and closing.count() == 2
