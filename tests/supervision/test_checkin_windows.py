"""Check-in windows: ISO weeks from Monday 00:00 and calendar months, on the Shanghai clock, end excluded."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.monitoring.models import Alert
from backend.supervision.actions.checkins import record_checkin
from backend.supervision.due import run_planners
from backend.supervision.models import CheckinPlan, DueItem, DueKind
from backend.supervision.sweep import sweep
from backend.supervision.windows import window_by_key, window_of
from tests.supervision.test_checkin_plans import active_case, at

UTC = dt.UTC


def test_sunday_2359_is_still_this_week_and_monday_0000_the_next():
    assert window_of("week", at(2026, 11, 8, 23, 59)).key == "2026-W45"
    assert window_of("week", at(2026, 11, 9, 0, 0)).key == "2026-W46"
    week = window_of("week", at(2026, 11, 4, 15))
    assert (week.start, week.end) == (at(2026, 11, 2), at(2026, 11, 9))


def test_weeks_and_months_are_cut_on_the_shanghai_clock_not_utc():
    # 16:30 UTC on Sunday is 00:30 on Monday in Shanghai.
    assert window_of("week", dt.datetime(2026, 11, 8, 16, 30, tzinfo=UTC)).key == "2026-W46"
    assert window_of("week", dt.datetime(2026, 11, 8, 15, 59, tzinfo=UTC)).key == "2026-W45"
    assert window_of("month", dt.datetime(2026, 11, 30, 16, 0, tzinfo=UTC)).key == "2026-12"
    assert window_of("month", dt.datetime(2026, 11, 30, 15, 59, tzinfo=UTC)).key == "2026-11"


def test_month_ends_and_the_year_end_week():
    assert window_of("month", at(2026, 1, 31, 23, 59)).end == at(2026, 2, 1)
    february = window_of("month", at(2028, 2, 29, 12))
    assert (february.key, february.start, february.end) == ("2028-02", at(2028, 2, 1), at(2028, 3, 1))
    december = window_of("month", at(2026, 12, 31, 23, 59))
    assert (december.key, december.end, december.next().key) == ("2026-12", at(2027, 1, 1), "2027-01")
    # 2026 has 53 ISO weeks; 1 January 2027 (a Friday) still belongs to 2026-W53.
    assert window_of("week", at(2027, 1, 1)).key == "2026-W53"
    assert window_of("week", at(2027, 1, 4)).key == "2027-W01"
    assert window_by_key("week", "2026-W53") == window_of("week", at(2026, 12, 28))
    assert window_by_key("month", "2027-01") == window_of("month", at(2027, 1, 15))


def test_naive_moments_are_refused():
    with pytest.raises(ValueError):
        window_of("week", dt.datetime(2026, 11, 8, 23, 59))


def test_a_report_at_sunday_2359_counts_for_its_week_and_one_at_monday_0000_does_not(officers, tree):
    in_time, too_late = active_case(officers, tree), active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    for case in (in_time, too_late):
        # The written report is not under test: both hand it in on Wednesday.
        record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 4, 10))
    record_checkin(by=officers.owner, case=in_time, kind="in_person", at=at(2026, 11, 8, 23, 59))
    record_checkin(by=officers.owner, case=too_late, kind="in_person", at=at(2026, 11, 9, 0, 0))

    sweep(at(2026, 11, 9, 0, 0))
    ends = DueItem.objects.filter(kind=DueKind.CHECKIN_WINDOW_END, details__window="2026-W45")
    outcomes = {(i.case_id, i.details["duty"]): i.outcome for i in ends}
    assert outcomes[(in_time.pk, "in_person")] == "ok"
    assert outcomes[(in_time.pk, "written")] == "ok"
    assert outcomes[(too_late.pk, "written")] == "ok"
    alert = Alert.objects.get(kind="missed_checkin")
    plan = CheckinPlan.objects.get(case=too_late, kind="in_person")
    assert outcomes[(too_late.pk, "in_person")] == f"alert:{alert.pk}"
    assert (alert.case_id, alert.severity, alert.subject) == (too_late.pk, "high", f"plan:{plan.pk}:2026-W45")
    assert alert.details == {
        "plan": plan.pk, "kind": "in_person", "window": "2026-W45", "required": 1, "done": 0,
        "start": at(2026, 11, 2).isoformat(), "end": at(2026, 11, 9).isoformat(),
    }  # fmt: skip


def test_the_window_end_is_not_handled_a_minute_early(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    sweep(at(2026, 11, 8, 23, 59))
    assert not Alert.objects.filter(kind="missed_checkin").exists()
    # W45's two weekly duties, and November's and December's two monthly ones.
    assert DueItem.objects.filter(case=case, kind=DueKind.CHECKIN_WINDOW_END, state="pending").count() == 6
    sweep(at(2026, 11, 9, 0, 0))
    assert Alert.objects.filter(kind="missed_checkin", case=case).count() == 2  # in person and written


def test_monthly_hours_are_summed_to_the_last_minute_of_the_month(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 9, 30, 12))  # October is the first counted month
    record_checkin(by=officers.owner, case=case, kind="education", at=at(2026, 10, 1, 0, 0), hours=4)
    record_checkin(by=officers.owner, case=case, kind="education", at=at(2026, 10, 31, 23, 59), hours="8.0")
    record_checkin(by=officers.owner, case=case, kind="community_service", at=at(2026, 10, 12, 9), hours=11.5)
    record_checkin(by=officers.owner, case=case, kind="community_service", at=at(2026, 11, 1, 0, 0), hours=4)
    sweep(at(2026, 11, 1, 0, 0))
    ends = {
        i.details["duty"]: i
        for i in DueItem.objects.filter(case=case, kind=DueKind.CHECKIN_WINDOW_END, details__window="2026-10")
    }
    assert ends["education"].outcome == "ok"
    alert = Alert.objects.get(kind="missed_checkin", details__kind="community_service")
    assert ends["community_service"].outcome == f"alert:{alert.pk}"
    assert (alert.severity, alert.details["required"], alert.details["done"]) == ("medium", 12, 11.5)


def test_a_call_meets_the_weekly_phone_duty_of_a_normal_subject(officers, tree):
    case = active_case(officers, tree, category="normal")
    run_planners(at(2026, 11, 1, 12))
    record_checkin(by=officers.owner, case=case, kind="phone", at=at(2026, 11, 3, 20))
    sweep(at(2026, 11, 9))
    phone = DueItem.objects.get(case=case, kind=DueKind.CHECKIN_WINDOW_END, details__duty="phone")
    assert phone.outcome == "ok"
