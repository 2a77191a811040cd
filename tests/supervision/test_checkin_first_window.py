"""The window a check-in duty comes into force in (issue #23, item 15): planned at once — reminders and the
missed-check alert — when enough of it is left (``checkin_first_window_min_share``, half by default), else a
grace window that compliance shows as grace and the planner leaves alone.  Compliance and the planner agree."""

from __future__ import annotations

import pytest

from backend.monitoring.models import Alert
from backend.supervision.actions.checkins import override_plan
from backend.supervision.due import run_planners
from backend.supervision.models import CheckinPlan, DueItem, DueKind
from backend.supervision.plans import compliance, ensure_default_plan
from backend.supervision.sweep import sweep
from tests.supervision.test_checkin_plans import active_case, at

pytestmark = pytest.mark.django_db


def windows_planned(case) -> set[tuple[str, str]]:
    return {(i.details["duty"], i.details["window"]) for i in DueItem.objects.filter(case=case)}


def status(case, month: str, now, duty: str, window: str) -> str:
    plans = {p["kind"]: p for p in compliance(case, month, now)}
    return {w["window"]: w["status"] for w in plans[duty]["windows"]}[window]


def test_a_plan_made_on_a_tuesday_is_planned_for_that_week_and_month_at_once(officers, tree):
    case = active_case(officers, tree)
    tuesday = at(2026, 11, 3, 10)  # W45 runs Monday 2 – Sunday 8 November
    ensure_default_plan(case, tuesday)  # the plan is made (an officer opens the plans page): no planner run
    assert {("in_person", "2026-W45"), ("written", "2026-W45"), ("education", "2026-11"),
            ("community_service", "2026-11")} <= windows_planned(case)  # fmt: skip
    plan = CheckinPlan.objects.get(case=case, kind="in_person")
    items = {
        i.kind: i.due_at for i in DueItem.objects.filter(details__plan=plan.pk, details__window="2026-W45")
    }
    # The opening reminder goes when the duty comes into force, not at 09:00 on the Monday already past.
    assert items == {DueKind.CHECKIN_OPENS: tuesday, DueKind.CHECKIN_CLOSING: at(2026, 11, 8),
                     DueKind.CHECKIN_WINDOW_END: at(2026, 11, 9)}  # fmt: skip
    assert status(case, "2026-11", tuesday, "in_person", "2026-W45") == "open"


def test_the_hourly_planner_also_plans_the_window_the_plan_came_into_force_in(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 3, 10))
    assert ("in_person", "2026-W45") in windows_planned(case)
    assert ("education", "2026-11") in windows_planned(case)


def test_a_first_week_missed_raises_the_missed_check_in_alert_that_week(officers, tree):
    case = active_case(officers, tree)
    ensure_default_plan(case, at(2026, 11, 3, 10))
    sweep(at(2026, 11, 9, 0, 5))
    missed = Alert.objects.filter(kind="missed_checkin", case=case)
    assert {a.details["window"] for a in missed} == {"2026-W45"}


def test_a_plan_made_late_in_the_week_leaves_it_as_grace_and_compliance_says_so(officers, tree):
    case = active_case(officers, tree)
    saturday = at(2026, 11, 7, 10)  # under half of W45 left; most of November left
    ensure_default_plan(case, saturday)
    planned = windows_planned(case)
    assert ("in_person", "2026-W45") not in planned and ("in_person", "2026-W46") in planned
    assert ("education", "2026-11") in planned
    # While the grace week is still running it is "grace", not "open": what the planner does.
    assert status(case, "2026-11", saturday, "in_person", "2026-W45") == "grace"
    assert status(case, "2026-11", saturday, "education", "2026-11") == "open"
    sweep(at(2026, 11, 9, 0, 5))
    assert not Alert.objects.filter(kind="missed_checkin").exists()


def test_the_share_left_that_makes_the_first_window_count_is_a_rule(officers, tree, province_rules):
    province_rules(checkin_first_window_min_share=0.1)
    case = active_case(officers, tree)
    ensure_default_plan(case, at(2026, 11, 7, 10))  # 2 of 7 days left: enough at 10 %
    assert ("in_person", "2026-W45") in windows_planned(case)


def test_a_duty_an_officer_adds_is_planned_at_once(officers, tree):
    case = active_case(officers, tree)
    ensure_default_plan(case, at(2026, 11, 3, 10))
    plan = override_plan(by=officers.owner, case=case, kind="phone", period="week", required=2)
    assert DueItem.objects.filter(details__plan=plan.pk).exists()
