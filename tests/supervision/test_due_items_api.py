"""/api/v1/due-items: the case calendar as a list — scoped, filtered by case, kind, state and Shanghai
dates, in due order with cursor pages."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import Role
from backend.people.actions.transitions import transition_case
from backend.supervision.handlers.calendar import plan_aftercare_calendar, plan_correction_calendar
from backend.supervision.models import DueKind
from backend.supervision.sweep import sweep
from tests.conftest import make_user
from tests.core.test_scoping import Case, run_trio
from tests.people import factories
from tests.supervision.calendar_helpers import items, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def releasee(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.aftercare(officers.owner, person, release_on=dt.date(2025, 8, 31),
                               release_notice_on=dt.date(2025, 8, 1))  # fmt: skip
    case = transition_case(
        by=officers.owner, case=case, action="hand_over", effective_on=dt.date(2025, 8, 31)
    )
    plan_aftercare_calendar(local(2026, 2, 27))  # contact due 29 Nov 2025 (a miss), review on 28 Feb 2026
    return case


def listed(api, user, query="") -> list[tuple[str, str]]:
    response = api(user).get(f"/api/v1/due-items{query}")
    assert response.status_code == 200, response.json()
    return [(i["kind"], i["subject"]) for i in response.json()["items"]]


def test_due_items_of_a_case_are_scoped_to_the_officers_office(officers, releasee, api):
    case = Case("GET", lambda o: f"/api/v1/due-items?case_id={o['case'].pk}")
    assert run_trio(officers, case, {"case": releasee}, api) == [200, 404, 404]


def test_the_list_holds_only_what_the_reader_may_see_in_due_order(officers, releasee, api):
    pk = releasee.pk
    assert listed(api, officers.owner) == [
        ("aftercare_contact", f"contact:{pk}:2025-11-29"),
        ("aftercare_risk_review", f"review:{pk}:2026-02-28"),
        ("aftercare_risk_review", f"review_late:{pk}:2026-02-28"),
    ]
    assert listed(api, officers.colleague) == listed(api, officers.outsider) == []


def test_a_county_officer_sees_the_items_of_every_office_in_the_county(tree, officers, releasee, api):
    county = make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)
    assert len(listed(api, county)) == 3


def test_a_health_worker_does_not_see_the_deadlines_of_cases_outside_health(tree, officers, api):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person, judgment_effective_on=dt.date(2025, 12, 31),
                                term_start=dt.date(2025, 12, 31), term_end=dt.date(2026, 3, 15))  # fmt: skip
    transition_case(by=officers.owner, case=case, action="report", effective_on=dt.date(2026, 1, 2))
    plan_correction_calendar(local(2026, 3, 1))
    doctor = make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)
    assert listed(api, officers.owner) == [("release_due", f"release:{case.pk}:2026-03-15")]
    assert listed(api, doctor) == []


def test_filters_by_kind_state_and_shanghai_dates(officers, releasee, api):
    pk, owner = releasee.pk, officers.owner
    review = (
        "aftercare_risk_review",
        f"review:{pk}:2026-02-28",
    )  # due 28 Feb 00:00 Shanghai = 27 Feb 16:00 UTC
    late = ("aftercare_risk_review", f"review_late:{pk}:2026-02-28")  # due 8 Mar 00:00 Shanghai
    assert listed(api, owner, "?kind=aftercare_risk_review") == [review, late]
    assert listed(api, owner, "?from=2026-02-28&to=2026-02-28") == [review]
    assert listed(api, owner, "?to=2026-02-27") == [("aftercare_contact", f"contact:{pk}:2025-11-29")]
    assert listed(api, owner, "?from=2026-03-01") == [late]
    sweep(local(2026, 2, 28))
    assert listed(api, owner, "?state=pending") == [late]
    assert items(DueKind.AFTERCARE_CONTACT)[0].outcome.startswith("alert:")
    assert set(listed(api, owner, "?state=done")) == {
        ("aftercare_contact", f"contact:{pk}:2025-11-29"),
        review,
    }


def test_cursor_pages_walk_every_item_once(officers, releasee, api):
    client, seen, cursor = api(officers.owner), [], None
    while True:
        page = client.get("/api/v1/due-items?limit=1" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == len(set(seen)) == 3
