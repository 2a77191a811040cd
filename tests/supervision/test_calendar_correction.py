"""The correction case calendar: category reviews, the term-end documents and the release due date
(实施办法 Art. 21, 53; docs/supervision.md "Case calendar").  Every time is Asia/Shanghai."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from backend.core.rules import rules
from backend.people.actions.cases import record_mark, update_case
from backend.people.actions.transitions import transition_case
from backend.people.models import CaseStatus
from backend.supervision.actions.followups import record_followup
from backend.supervision.calendar import add_months
from backend.supervision.handlers.calendar import plan_correction_calendar
from backend.supervision.models import DueKind, FollowUpKind
from backend.supervision.sweep import sweep
from notifications.models import Delivery
from tests.people import factories
from tests.supervision.calendar_helpers import MINUTE, followup_alerts, inbox, items, local, only

pytestmark = pytest.mark.django_db


def correction(officer, tree, *, opened: dt.date, term_end: dt.date, reported: dt.date | None = None):
    person = factories.person(officer, tree.township_a1)
    case = factories.correction(
        officer, person, judgment_effective_on=opened, term_start=opened, term_end=term_end
    )
    return transition_case(by=officer, case=case, action="report", effective_on=reported or opened)


def documents(officer, case, *kinds, at=None):
    for kind in kinds:
        record_followup(by=officer, case=case, kind=kind, at=at or local(2026, 2, 10, 10))


def test_calendar_months_clamp_to_the_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 12, 31), 2) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)


def test_a_new_subjects_category_review_is_due_two_months_after_opening_on_the_last_day_of_february(
    tree, officers
):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 12, 30))
    plan_correction_calendar(local(2026, 2, 20))
    item = only(DueKind.CATEGORY_REVIEW, case=case)
    assert (item.subject, item.due_at) == (f"initial:{case.pk}", local(2026, 2, 28))
    sweep(local(2026, 2, 28) - MINUTE)
    assert inbox(item) == []
    sweep(local(2026, 2, 28))
    item.refresh_from_db()
    assert (item.state, item.outcome, inbox(item)) == ("done", "reminded", [officers.owner.pk])
    assert "管理类别评估" in Delivery.objects.get(due_item=item).details["text"]


def test_a_province_with_one_strict_month_reviews_a_31_january_case_on_28_february(
    tree, officers, province_rules
):
    province_rules(correction_initial_strict_months=1)
    assert rules().correction_initial_strict_months == 1
    case = correction(officers.owner, tree, opened=dt.date(2026, 1, 31), term_end=dt.date(2026, 12, 30))
    plan_correction_calendar(local(2026, 2, 1))
    assert only(DueKind.CATEGORY_REVIEW, case=case).due_at == local(2026, 2, 28)


def test_a_subject_moved_out_of_strict_before_the_review_gets_no_reminder(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 12, 30))
    plan_correction_calendar(local(2026, 2, 20))
    record_mark(by=officers.owner, case=case, kind="category", value="normal", effective_on=dt.date(2026, 2, 21),
                reason="评估调整")  # fmt: skip
    sweep(local(2026, 2, 28))
    item = only(DueKind.CATEGORY_REVIEW, subject=f"initial:{case.pk}")
    assert (item.outcome, inbox(item)) == ("stale", [])  # its review now is the 宽管 one, months later


def test_the_initial_review_is_planned_once_however_often_the_planner_runs(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 12, 30))
    assert plan_correction_calendar(local(2026, 2, 20)) >= 1
    assert plan_correction_calendar(local(2026, 2, 20, 1)) == 0
    assert len(items(DueKind.CATEGORY_REVIEW, case=case)) == 1


def test_six_months_in_normal_make_the_officer_consider_lenient(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 6, 30), term_end=dt.date(2026, 12, 30))
    record_mark(by=officers.owner, case=case, kind="category", value="normal", effective_on=dt.date(2025, 8, 31),
                reason="严管期满")  # fmt: skip
    plan_correction_calendar(local(2026, 2, 27))
    item = only(DueKind.CATEGORY_REVIEW, case=case)
    assert (item.subject, item.due_at) == (f"lenient:{case.pk}:2025-08-31", local(2026, 2, 28))
    sweep(local(2026, 2, 28) - MINUTE)
    assert inbox(item) == []
    sweep(local(2026, 2, 28))
    assert inbox(item) == [officers.owner.pk]
    assert "宽管" in Delivery.objects.get(due_item=item).details["text"]


def test_a_category_changed_again_makes_the_lenient_reminder_stale(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 6, 30), term_end=dt.date(2026, 12, 30))
    record_mark(by=officers.owner, case=case, kind="category", value="normal", effective_on=dt.date(2025, 8, 31),
                reason="严管期满")  # fmt: skip
    plan_correction_calendar(local(2026, 2, 27))
    record_mark(by=officers.owner, case=case, kind="category", value="strict", effective_on=dt.date(2026, 2, 1),
                reason="受到警告")  # fmt: skip
    record_mark(by=officers.owner, case=case, kind="category", value="normal", effective_on=dt.date(2026, 2, 2),
                reason="复查")  # fmt: skip
    sweep(local(2026, 2, 28))
    item = only(DueKind.CATEGORY_REVIEW, subject=f"lenient:{case.pk}:2025-08-31")
    assert (item.outcome, inbox(item)) == ("stale", [])


def test_term_end_tasks_remind_the_officer_thirty_days_before_the_end(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 3, 15))
    plan_correction_calendar(local(2026, 2, 12, 12))
    item = only(DueKind.TERM_END_TASKS, case=case)
    assert item.due_at == local(2026, 2, 13)
    sweep(local(2026, 2, 13) - MINUTE)
    assert inbox(item) == []
    sweep(local(2026, 2, 13))
    assert inbox(item) == [officers.owner.pk]
    assert "尚缺：个人总结、书面鉴定" in Delivery.objects.get(due_item=item).details["text"]


def test_term_end_tasks_already_done_need_no_reminder(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 3, 15))
    documents(officers.owner, case, FollowUpKind.SELF_SUMMARY, FollowUpKind.WRITTEN_ASSESSMENT)
    plan_correction_calendar(local(2026, 2, 12, 12))
    sweep(local(2026, 2, 13))
    item = only(DueKind.TERM_END_TASKS, case=case)
    assert (item.outcome, inbox(item)) == ("done", [])


def test_a_missing_written_assessment_at_term_end_raises_one_high_alert_even_when_swept_twice(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 3, 15))
    documents(officers.owner, case, FollowUpKind.SELF_SUMMARY)
    plan_correction_calendar(local(2026, 3, 1))
    item = only(DueKind.RELEASE_DUE, case=case)
    assert item.due_at == local(2026, 3, 15)
    sweep(local(2026, 3, 15) - MINUTE)
    assert followup_alerts() == []
    sweep(local(2026, 3, 15))
    plan_correction_calendar(local(2026, 3, 15, 1))
    sweep(local(2026, 3, 15, 1))
    [alert] = followup_alerts()
    assert (alert.severity, alert.subject, alert.case_id, alert.owner_id, alert.occurrences) == (
        "high", f"term_end:{case.pk}", case.pk, officers.owner.pk, 1
    )  # fmt: skip
    assert alert.details["missing"] == ["written_assessment"]
    item.refresh_from_db()
    assert item.outcome == f"alert:{alert.pk}"
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_a_complete_term_end_reminds_the_officer_to_release_and_releases_nothing(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 3, 15))
    documents(officers.owner, case, FollowUpKind.SELF_SUMMARY, FollowUpKind.WRITTEN_ASSESSMENT)
    plan_correction_calendar(local(2026, 3, 1))
    sweep(local(2026, 3, 15))
    item = only(DueKind.RELEASE_DUE, case=case)
    assert (item.outcome, inbox(item), followup_alerts()) == ("reminded", [officers.owner.pk], [])
    assert "请办理解除矫正" in Delivery.objects.get(due_item=item).details["text"]
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


def test_a_moved_term_end_plans_a_new_release_date_and_the_old_one_finishes_stale(tree, officers):
    case = correction(officers.owner, tree, opened=dt.date(2025, 12, 31), term_end=dt.date(2026, 3, 15))
    plan_correction_calendar(local(2026, 3, 1))
    update_case(by=officers.owner, case=case, details={"term_end": dt.date(2026, 3, 31)})
    plan_correction_calendar(local(2026, 3, 1, 1))
    sweep(local(2026, 3, 15))
    old, new = items(DueKind.RELEASE_DUE, case=case)
    assert (old.subject, old.outcome) == (f"release:{case.pk}:2026-03-15", "stale")
    assert (new.subject, new.state, new.due_at) == (
        f"release:{case.pk}:2026-03-31",
        "pending",
        local(2026, 3, 31),
    )
    assert followup_alerts() == []


def test_a_province_may_set_a_fractional_rule_but_not_a_fraction_of_a_day(province_rules):
    province_rules(zone_accuracy_factor=2.0, zone_inclusion_margin_m=80)
    assert (rules().zone_accuracy_factor, rules().zone_inclusion_margin_m) == (2.0, 80)
    province_rules(correction_report_days=10.5)
    with pytest.raises(ImproperlyConfigured, match="非负整数"):
        rules()
    province_rules(zone_accuracy_factor=float("nan"))
    with pytest.raises(ImproperlyConfigured, match="非负数"):
        rules()
    province_rules(zone_accuracy_factor=0)
    with pytest.raises(ImproperlyConfigured, match="大于 0"):
        rules()
