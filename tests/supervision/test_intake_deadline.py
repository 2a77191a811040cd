"""漏管: a correction subject still 待报到 after the end of the report deadline day (Shanghai) raises one
critical missed_intake alert; one who reported in time raises nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.monitoring.models import Alert
from backend.people.actions.transitions import transition_case
from backend.supervision.due import run_planners
from backend.supervision.models import DueItem, DueKind
from backend.supervision.sweep import sweep
from tests.people import factories
from tests.supervision.test_checkin_plans import at

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def waiting(officers, tree):
    """Judgment effective 1 November 2026: the subject must report by 11 November (10 days)."""
    who = factories.person(officers.owner, tree.township_a1)
    return factories.correction(
        officers.owner, who, judgment_effective_on=dt.date(2026, 11, 1), term_start=dt.date(2026, 11, 1),
        term_end=dt.date(2027, 11, 1),
    )  # fmt: skip


def intake_item(case) -> DueItem:
    return DueItem.objects.get(kind=DueKind.INTAKE_DEADLINE, subject=f"case:{case.pk}")


def test_every_waiting_case_gets_its_intake_deadline_at_the_end_of_the_deadline_day(waiting):
    assert waiting.correction.report_deadline == dt.date(2026, 11, 11)
    run_planners(at(2026, 11, 2, 10))
    run_planners(at(2026, 11, 2, 11))
    item = intake_item(waiting)
    assert (item.due_at, item.case_id, item.person_id, item.state) == (
        at(2026, 11, 12, 0, 0), waiting.pk, waiting.person_id, "pending",
    )  # fmt: skip
    assert item.details == {"report_deadline": "2026-11-11"}


def test_not_reported_on_the_deadline_day_is_not_yet_missed_but_the_next_day_it_is(waiting, officers):
    run_planners(at(2026, 11, 2, 10))
    sweep(at(2026, 11, 11, 23, 59))
    assert not Alert.objects.filter(kind="missed_intake").exists()
    # 15:59 UTC is still 23:59 in Shanghai; 16:00 UTC is midnight.
    sweep(dt.datetime(2026, 11, 11, 15, 59, tzinfo=UTC))
    assert not Alert.objects.filter(kind="missed_intake").exists()
    sweep(dt.datetime(2026, 11, 11, 16, 0, tzinfo=UTC))
    alert = Alert.objects.get(kind="missed_intake")
    assert (alert.severity, alert.subject, alert.case_id, alert.person_id, alert.owner_id) == (
        "critical", f"case:{waiting.pk}", waiting.pk, waiting.person_id, officers.owner.pk,
    )  # fmt: skip
    assert alert.details == {"case": waiting.pk, "report_deadline": "2026-11-11"}
    assert intake_item(waiting).outcome == f"alert:{alert.pk}"


def test_the_missed_intake_raises_one_alert_however_often_the_sweep_runs(waiting):
    run_planners(at(2026, 11, 2, 10))
    sweep(at(2026, 11, 20))
    run_planners(at(2026, 11, 20, 1))
    sweep(at(2026, 11, 20, 1))
    alert = Alert.objects.get(kind="missed_intake")
    assert alert.occurrences == 1


def test_a_subject_who_reported_on_the_last_day_raises_nothing(waiting, officers):
    run_planners(at(2026, 11, 2, 10))
    transition_case(by=officers.owner, case=waiting, action="report", effective_on=dt.date(2026, 11, 11))
    sweep(at(2026, 11, 12, 0, 0))
    assert not Alert.objects.filter(kind="missed_intake").exists()
    assert (intake_item(waiting).state, intake_item(waiting).outcome) == ("done", "reported")


def test_a_case_terminated_before_reporting_is_closed_without_an_alert(waiting, officers):
    run_planners(at(2026, 11, 2, 10))
    transition_case(by=officers.owner, case=waiting, action="terminate", reason="death")
    sweep(at(2026, 11, 12, 0, 0))
    assert not Alert.objects.filter(kind="missed_intake").exists()
    assert intake_item(waiting).outcome == "closed"


def test_only_waiting_correction_cases_are_planned(officers, tree, waiting):
    active = factories.correction(officers.owner, factories.person(officers.owner, tree.township_a1))
    transition_case(by=officers.owner, case=active, action="report")
    factories.aftercare(officers.owner, factories.person(officers.owner, tree.township_a1))
    run_planners(at(2026, 11, 2, 10))
    assert list(DueItem.objects.filter(kind=DueKind.INTAKE_DEADLINE).values_list("subject", flat=True)) == [
        f"case:{waiting.pk}"
    ]
