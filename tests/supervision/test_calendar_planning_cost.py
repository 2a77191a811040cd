"""The calendar's planners and handlers are built for 100,000 cases: the number of queries does not grow
with the number of cases (bulk reads, one look-up of existing items per kind, one insert per 2,000)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.core.models import Role
from backend.people.actions.transitions import transition_case
from backend.people.models import Case
from backend.supervision.actions.followups import record_followup
from backend.supervision.due import HANDLERS
from backend.supervision.handlers.calendar import (
    plan_aftercare_calendar,
    plan_correction_calendar,
    plan_mental_health_calendar,
)
from backend.supervision.models import DueItem, DueKind, FollowUpKind
from backend.supervision.sweep import claim
from tests.conftest import make_user
from tests.people import factories
from tests.supervision.calendar_helpers import local

pytestmark = pytest.mark.django_db
NOW = local(2026, 3, 1)


def open_cases(tree, officer, doctor, count: int) -> None:
    for _ in range(count):
        person = factories.person(officer, tree.township_a1)
        case = factories.correction(officer, person, judgment_effective_on=dt.date(2026, 1, 10),
                                    term_start=dt.date(2026, 1, 10), term_end=dt.date(2026, 3, 20))  # fmt: skip
        transition_case(by=officer, case=case, action="report", effective_on=dt.date(2026, 1, 12))
        person = factories.person(officer, tree.township_a1)
        case = factories.aftercare(officer, person, release_on=dt.date(2026, 1, 1),
                                   release_notice_on=dt.date(2025, 12, 1))  # fmt: skip
        transition_case(by=officer, case=case, action="hand_over", effective_on=dt.date(2026, 1, 2))
        person = factories.person(doctor, tree.township_a1)
        factories.mental_health(doctor, person, risk_level=2, opened_on=dt.date(2026, 2, 1))


def queries(fn, *args) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn(*args)
    return len(captured)


PLANNERS = (plan_correction_calendar, plan_aftercare_calendar, plan_mental_health_calendar)


def planning_cost(tree, count: int) -> dict[str, int]:
    officer = make_user(f"officer_{count}", tree.township_a1, Role.TOWNSHIP_OFFICER)
    doctor = make_user(f"doctor_{count}", tree.township_a1, Role.HEALTH_WORKER)
    open_cases(tree, officer, doctor, count)
    first = {fn.__name__: queries(fn, NOW) for fn in PLANNERS}
    return {**first, **{f"{fn.__name__} again": queries(fn, NOW) for fn in PLANNERS}}


def test_planning_costs_the_same_number_of_queries_for_two_cases_as_for_twelve(tree):
    small = planning_cost(tree, 2)
    # Each trio: the category review and the release of the correction case, a contact, a follow-up.
    assert DueItem.objects.count() == 2 * 4
    DueItem.objects.all().delete()
    large = planning_cost(tree, 10)
    assert DueItem.objects.count() == 12 * 4
    assert small == large


def handling_cost(tree, count: int) -> int:
    officer = make_user(f"officer_{count}", tree.township_a1, Role.TOWNSHIP_OFFICER)
    for _ in range(count):
        person = factories.person(officer, tree.township_a1)
        case = factories.aftercare(officer, person, release_on=dt.date(2026, 3, 10), key_person=True,
                                   release_notice_on=dt.date(2026, 2, 1))  # fmt: skip
        record_followup(by=officer, case=case, kind=FollowUpKind.AFTERCARE_PICKUP, at=local(2026, 3, 10, 9))
    plan_aftercare_calendar(NOW)
    batch = [i for i in claim(10_000, local(2026, 3, 11)) if i.kind == DueKind.AFTERCARE_PICKUP]
    assert len(batch) == Case.objects.filter(kind="aftercare").count()
    spent = queries(HANDLERS[DueKind.AFTERCARE_PICKUP], batch, local(2026, 3, 11))
    assert set(DueItem.objects.filter(pk__in=[i.pk for i in batch]).values_list("outcome", flat=True)) == {
        "done"
    }
    DueItem.objects.all().delete()
    return spent


def test_a_batch_whose_deadlines_were_all_met_is_checked_with_the_same_queries_for_two_items_as_for_ten(tree):
    assert handling_cost(tree, 2) == handling_cost(tree, 10)
