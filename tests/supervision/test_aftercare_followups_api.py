"""/api/v1/followups for the office's kinds (帮教走访, 复评, 接送, 总结, 鉴定): scoping, validation, pages."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.people.actions.transitions import transition_case
from backend.supervision.models import FollowUp
from tests.core.test_scoping import Case, run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def releasee(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.aftercare(officers.owner, person, release_on=dt.date(2026, 1, 1),
                               release_notice_on=dt.date(2025, 12, 1))  # fmt: skip
    return transition_case(by=officers.owner, case=case, action="hand_over", effective_on=dt.date(2026, 1, 2))


def contact(case, at="2026-03-01T10:00:00+08:00", **extra):
    return {"case_id": case.pk, "kind": "aftercare_contact", "at": at, "note": "电话联系", **extra}


ENDPOINTS = {
    "list follow-ups of a case": Case("GET", lambda o: f"/api/v1/followups?case_id={o['case'].pk}"),
    "record a contact": Case("POST", lambda o: "/api/v1/followups", lambda o: contact(o["case"]), ok=201),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_follow_up_endpoints_are_scoped_to_the_officers_office(name, officers, releasee, api):
    assert run_trio(officers, ENDPOINTS[name], {"case": releasee}, api) == [ENDPOINTS[name].ok, 404, 404]


def test_the_list_holds_only_what_the_reader_may_see(officers, releasee, api):
    created = api(officers.owner).post("/api/v1/followups", contact(releasee)).json()
    assert created["note"] == "电话联系" and created["by_id"] == officers.owner.pk
    assert [f["id"] for f in api(officers.owner).get("/api/v1/followups").json()["items"]] == [created["id"]]
    assert api(officers.colleague).get("/api/v1/followups").json()["items"] == []
    assert api(officers.outsider).get("/api/v1/followups?kind=aftercare_contact").json()["items"] == []


def test_a_record_must_fit_the_case_and_its_kind(officers, releasee, api, tree):
    client = api(officers.owner)
    wrong_case = client.post("/api/v1/followups", {**contact(releasee), "kind": "self_summary"})
    assert (wrong_case.status_code, wrong_case.json()["code"]) == (409, "conflict")
    review = client.post("/api/v1/followups", {**contact(releasee), "kind": "aftercare_risk_review"})
    assert (review.status_code, review.json()["details"]["field"]) == (422, "aftercare_risk")
    future = client.post("/api/v1/followups", contact(releasee, at="2099-01-01T10:00:00+08:00"))
    assert (future.status_code, future.json()["details"]["field"]) == (422, "at")
    before = client.post("/api/v1/followups", contact(releasee, at="2025-11-30T10:00:00+08:00"))
    assert (before.status_code, before.json()["details"]["field"]) == (422, "at")
    findings = client.post("/api/v1/followups", contact(releasee, findings={"x": 1}))
    assert (findings.status_code, findings.json()["details"]["field"]) == (422, "findings")
    assert not FollowUp.objects.exists()


def test_cursor_pages_walk_every_record_once_newest_first(officers, releasee, api):
    client = api(officers.owner)
    ids = [client.post("/api/v1/followups", contact(releasee, at=f"2026-03-0{d}T10:00:00+08:00")).json()["id"]
           for d in range(1, 6)]  # fmt: skip
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/followups?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [f["id"] for f in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == sorted(ids, reverse=True)
