"""Check-in plans: the category's default duties, officers' overrides, and a category change refreshing them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backend.core.errors import Conflict, Forbidden
from backend.core.models import AuditEvent, Role
from backend.people.actions.cases import record_mark
from backend.people.actions.transitions import transition_case
from backend.supervision.actions.checkins import override_plan
from backend.supervision.due import run_planners
from backend.supervision.models import CheckinPlan, DueItem, DueKind, DueState
from backend.supervision.plans import ensure_default_plan
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


def active_case(officers, tree, *, category: str | None = None):
    """A correction subject who reported on 5 September 2026 (严管 from then on unless ``category``)."""
    who = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(
        officers.owner, who, judgment_effective_on=dt.date(2026, 9, 1), term_start=dt.date(2026, 9, 1),
        term_end=dt.date(2027, 9, 1),
    )  # fmt: skip
    transition_case(by=officers.owner, case=case, action="report", effective_on=dt.date(2026, 9, 5))
    if category:
        record_mark(by=officers.owner, case=case, kind="category", value=category, effective_on=dt.date(2026, 9, 6),
                    reason="测试调整")  # fmt: skip
    case.refresh_from_db()
    return case


def duties(case) -> dict[str, tuple[str, int, bool, bool]]:
    return {
        p.kind: (p.period, p.required, p.active, p.override) for p in CheckinPlan.objects.filter(case=case)
    }


def test_a_strict_subject_reports_weekly_in_person_and_in_writing_and_does_twelve_hours_of_each(
    officers, tree
):
    case = active_case(officers, tree)
    ensure_default_plan(case)
    assert duties(case) == {
        "in_person": ("week", 1, True, False),
        "written": ("week", 1, True, False),
        "education": ("month", 12, True, False),
        "community_service": ("month", 12, True, False),
    }


def test_a_normal_subject_reports_monthly_in_person_and_weekly_by_phone(officers, tree):
    case = active_case(officers, tree, category="normal")
    ensure_default_plan(case)
    assert duties(case) == {"in_person": ("month", 1, True, False), "phone": ("week", 1, True, False)}


def test_a_lenient_subject_reports_monthly_in_person_only(officers, tree):
    case = active_case(officers, tree, category="lenient")
    ensure_default_plan(case)
    assert duties(case) == {"in_person": ("month", 1, True, False)}


def test_a_case_waiting_for_its_report_gets_no_plan(officers, tree):
    who = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, who)
    assert ensure_default_plan(case) == []
    run_planners(at(2026, 11, 1, 12))
    assert not CheckinPlan.objects.filter(case=case).exists()


def test_the_planner_follows_a_category_change_but_keeps_the_officers_override(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    written = CheckinPlan.objects.get(case=case, kind="written")
    override_plan(by=officers.owner, case=case, kind="education", required=8)
    assert DueItem.objects.filter(details__plan=written.pk, state=DueState.PENDING).count() == 3

    record_mark(by=officers.owner, case=case, kind="category", value="normal", effective_on=dt.date(2026, 11, 1),
                reason="表现良好")  # fmt: skip
    run_planners(at(2026, 11, 1, 13))
    assert duties(case) == {
        "in_person": ("month", 1, True, False),
        "phone": ("week", 1, True, False),
        "written": ("week", 1, False, False),
        "education": ("month", 8, True, True),
        "community_service": ("month", 12, False, False),
    }
    # The stopped duty's reminders and checks are cancelled, not left to fire.
    assert DueItem.objects.filter(details__plan=written.pk, state=DueState.PENDING).count() == 0
    assert set(
        DueItem.objects.filter(details__plan=written.pk).values_list("state", "outcome").distinct()
    ) == {("cancelled", "plan_changed")}
    refresh = AuditEvent.objects.filter(action="checkin_plan.refresh", target_id=str(case.pk)).last()
    assert refresh.details["category"] == "normal"


def test_an_override_is_audited_and_survives_later_refreshes(officers, tree):
    case = active_case(officers, tree)
    plan = override_plan(by=officers.owner, case=case, kind="in_person", period="month", required=2)
    assert (plan.period, plan.required, plan.override, plan.active) == ("month", 2, True, True)
    ensure_default_plan(case)
    assert duties(case)["in_person"] == ("month", 2, True, True)
    event = AuditEvent.objects.get(action="checkin_plan.override")
    assert (event.actor_id, event.target_id) == (officers.owner.pk, str(case.pk))
    assert event.details["from"] == {"period": "week", "required": 1, "active": True, "override": False}
    assert event.details["to"] == {"period": "month", "required": 2, "active": True, "override": True}


def test_an_officer_may_add_a_duty_the_category_does_not_carry_and_reset_it_later(officers, tree):
    case = active_case(officers, tree, category="lenient")
    override_plan(by=officers.owner, case=case, kind="app", period="week", required=2)
    assert duties(case)["app"] == ("week", 2, True, True)
    override_plan(by=officers.owner, case=case, kind="in_person", active=False)
    assert duties(case)["in_person"] == ("month", 1, False, True)

    override_plan(by=officers.owner, case=case, kind="in_person", reset=True)
    override_plan(by=officers.owner, case=case, kind="app", reset=True)
    assert duties(case) == {"in_person": ("month", 1, True, False), "app": ("week", 2, False, False)}


def test_changing_a_duty_from_weekly_to_monthly_cancels_its_weekly_items(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    plan = CheckinPlan.objects.get(case=case, kind="in_person")
    subjects = set(DueItem.objects.filter(details__plan=plan.pk).values_list("subject", flat=True))
    assert subjects == {f"plan:{plan.pk}:2026-W45"}
    override_plan(by=officers.owner, case=case, kind="in_person", period="month")
    weekly = DueItem.objects.filter(details__plan=plan.pk, details__period="week")
    assert set(weekly.values_list("state", flat=True)) == {DueState.CANCELLED}


def test_plans_are_only_for_active_correction_cases_and_office_staff(officers, tree):
    case = active_case(officers, tree)
    team_member = make_user("grid_worker", tree.township_a1, Role.TEAM_MEMBER)
    with pytest.raises(Forbidden):
        override_plan(by=team_member, case=case, kind="written", active=False)
    transition_case(by=officers.owner, case=case, action="terminate", reason="death")
    case.refresh_from_db()
    with pytest.raises(Conflict):
        override_plan(by=officers.owner, case=case, kind="written", active=False)


def test_a_case_that_ends_has_its_pending_check_in_items_cancelled(officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    kinds = [DueKind.CHECKIN_OPENS, DueKind.CHECKIN_CLOSING, DueKind.CHECKIN_WINDOW_END]
    assert DueItem.objects.filter(case=case, kind__in=kinds, state=DueState.PENDING).count() == 18
    transition_case(by=officers.owner, case=case, action="terminate", reason="committed")
    run_planners(at(2026, 11, 1, 13))
    assert DueItem.objects.filter(case=case, kind__in=kinds, state=DueState.PENDING).count() == 0
    assert DueItem.objects.filter(case=case, kind__in=kinds, outcome="case_inactive").count() == 18


def test_the_planner_plans_the_current_and_next_window_once_and_skips_the_grace_window(officers, tree):
    case = active_case(officers, tree)
    # Plans come into force at noon on Sunday 1 November: W44 (half a day left) is grace, November is held
    # against them at once (plans.counted).
    run_planners(at(2026, 11, 1, 12))
    run_planners(at(2026, 11, 1, 13))
    kinds = [DueKind.CHECKIN_OPENS, DueKind.CHECKIN_CLOSING, DueKind.CHECKIN_WINDOW_END]
    items = DueItem.objects.filter(case=case, kind__in=kinds)
    windows = {(i.details["duty"], i.details["window"]) for i in items}
    assert windows == {("in_person", "2026-W45"), ("written", "2026-W45"), ("education", "2026-11"),
                       ("community_service", "2026-11"), ("education", "2026-12"),
                       ("community_service", "2026-12")}  # fmt: skip
    assert items.count() == 18
    plan = CheckinPlan.objects.get(case=case, kind="in_person")
    due = {i.kind: i.due_at for i in items.filter(details__plan=plan.pk)}
    assert due == {
        DueKind.CHECKIN_OPENS: at(2026, 11, 2, 9),
        DueKind.CHECKIN_CLOSING: at(2026, 11, 8),
        DueKind.CHECKIN_WINDOW_END: at(2026, 11, 9),
    }
    # A week later the next window is planned too.
    run_planners(at(2026, 11, 2, 12))
    assert {i.details["window"] for i in DueItem.objects.filter(details__plan=plan.pk)} == {
        "2026-W45",
        "2026-W46",
    }


def test_a_plan_switched_off_outside_the_actions_has_its_items_cancelled_by_the_next_planner_run(
    officers, tree
):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    plan = CheckinPlan.objects.get(case=case, kind="written")
    CheckinPlan.objects.filter(pk=plan.pk).update(active=False, override=True)
    run_planners(at(2026, 11, 1, 13))
    items = DueItem.objects.filter(details__plan=plan.pk)
    assert set(items.values_list("state", "outcome")) == {("cancelled", "plan_inactive")}
    assert items.count() == 3
