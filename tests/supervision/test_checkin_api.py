"""/api/v1/checkins: scoping on every endpoint, recording, filters and pages, plans and monthly compliance."""

from __future__ import annotations

import pytest

from backend.core.models import AuditEvent
from backend.supervision.actions.checkins import record_checkin
from backend.supervision.models import Checkin, CheckinPlan
from backend.supervision.plans import ensure_default_plan
from tests.core.test_scoping import Case as Endpoint
from tests.core.test_scoping import run_trio
from tests.supervision.test_checkin_plans import active_case, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(officers, tree) -> dict:
    case = active_case(officers, tree)
    checkin = record_checkin(
        by=officers.owner, case=case, kind="in_person", at=at(2026, 11, 3, 10), note="测试备注"
    )
    return {"case": case, "checkin": checkin}


ENDPOINTS = {
    "list check-ins of a case": Endpoint("GET", lambda o: f"/api/v1/checkins?case_id={o['case'].pk}"),
    "record a check-in": Endpoint(
        "POST",
        lambda o: "/api/v1/checkins",
        lambda o: {"case_id": o["case"].pk, "kind": "written", "at": "2026-11-04T10:00:00+08:00"},
        ok=201,
    ),
    "get a check-in": Endpoint("GET", lambda o: f"/api/v1/checkins/{o['checkin'].pk}"),
    "list plans": Endpoint("GET", lambda o: f"/api/v1/checkins/plans?case_id={o['case'].pk}"),
    "override a plan": Endpoint(
        "PUT", lambda o: f"/api/v1/checkins/plans/{o['case'].pk}/written", lambda o: {"active": False}
    ),
    "monthly compliance": Endpoint(
        "GET", lambda o: f"/api/v1/checkins/compliance?case_id={o['case'].pk}&month=2026-11"
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_check_in_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [ENDPOINTS[name].ok, 404, 404]


def test_the_unfiltered_list_holds_only_what_the_reader_may_see(officers, objects, api):
    def listed(user) -> set[int]:
        return {row["id"] for row in api(user).get("/api/v1/checkins").json()["items"]}

    assert listed(officers.owner) == {objects["checkin"].pk}
    assert listed(officers.colleague) == set()
    assert listed(officers.outsider) == set()


def test_an_officer_records_hours_and_the_record_is_audited(officers, objects, api):
    case = objects["case"]
    response = api(officers.owner).post(
        "/api/v1/checkins",
        {"case_id": case.pk, "kind": "education", "at": "2026-11-04T10:00:00+08:00", "hours": 2.5},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["hours"], body["recorded_by_id"], body["has_location"]) == (
        "education", 2.5, officers.owner.pk, False,
    )  # fmt: skip
    event = AuditEvent.objects.filter(action="checkin.record").last()
    assert (event.actor_id, event.target_id, event.details) == (
        officers.owner.pk, str(body["id"]), {"case": case.pk, "kind": "education"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "education"}, "hours"),
        ({"kind": "education", "hours": 25}, "hours"),
        ({"kind": "in_person", "hours": 2}, "hours"),
        ({"kind": "app"}, "kind"),
        ({"kind": "written", "at": "2099-01-01T00:00:00+08:00"}, "at"),
    ],
)
def test_a_check_in_that_cannot_be_right_is_refused(officers, objects, api, body, field):
    response = api(officers.owner).post("/api/v1/checkins", {"case_id": objects["case"].pk, **body})
    assert response.status_code == 422
    assert response.json()["details"]["field"] == field
    assert Checkin.objects.count() == 1


def test_the_list_filters_by_kind_and_shanghai_days_and_pages_newest_first(officers, objects, api):
    case = objects["case"]
    record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 8, 23, 59))
    record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 9, 0, 0))
    client = api(officers.owner)
    rows = client.get(f"/api/v1/checkins?case_id={case.pk}&kind=written&from=2026-11-02&to=2026-11-08").json()
    assert [r["at"] for r in rows["items"]] == ["2026-11-08T15:59:00Z"]
    page = client.get(f"/api/v1/checkins?case_id={case.pk}&limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"/api/v1/checkins?case_id={case.pk}&limit=2&cursor={page['next_cursor']}").json()
    ids = [r["id"] for r in page["items"] + rest["items"]]
    assert ids == sorted(Checkin.objects.values_list("pk", flat=True), reverse=True)


def test_reading_a_check_in_with_its_location_is_audited(officers, objects, api):
    response = api(officers.owner).get(f"/api/v1/checkins/{objects['checkin'].pk}")
    assert response.json()["note"] == "测试备注"
    assert AuditEvent.objects.filter(action="checkin.read", actor=officers.owner).count() == 1


def test_plans_are_listed_with_the_category_defaults_and_an_override_changes_one(officers, objects, api):
    case = objects["case"]
    client = api(officers.owner)
    plans = client.get(f"/api/v1/checkins/plans?case_id={case.pk}").json()
    assert {(p["kind"], p["period"], p["required"], p["override"]) for p in plans} == {
        ("in_person", "week", 1, False), ("written", "week", 1, False),
        ("education", "month", 12, False), ("community_service", "month", 12, False),
    }  # fmt: skip
    response = client.request("PUT", f"/api/v1/checkins/plans/{case.pk}/education", {"required": 6})
    assert response.status_code == 200, response.json()
    assert (response.json()["required"], response.json()["override"]) == (6, True)
    assert CheckinPlan.objects.get(case=case, kind="education").required == 6
    assert (
        client.request("PUT", f"/api/v1/checkins/plans/{case.pk}/education", {"period": "day"}).status_code
        == 422
    )


def test_compliance_shows_each_window_of_the_month_with_required_and_done(officers, objects, api):
    case = objects["case"]
    ensure_default_plan(case)
    CheckinPlan.objects.filter(case=case).update(active_since=at(2026, 10, 1))
    record_checkin(by=officers.owner, case=case, kind="education", at=at(2026, 11, 10, 9), hours=12)
    record_checkin(by=officers.owner, case=case, kind="written", at=at(2026, 11, 30, 9))
    body = api(officers.owner).get(f"/api/v1/checkins/compliance?case_id={case.pk}&month=2026-11").json()
    duties = {d["kind"]: d for d in body}
    assert set(duties) == {"in_person", "written", "education", "community_service"}
    weeks = {w["window"]: (w["done"], w["status"]) for w in duties["in_person"]["windows"]}
    # W44 starts in October and W49 ends in December: weeks that overlap the month are shown whole.
    assert list(weeks) == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert weeks["2026-W45"] == (1, "met")
    assert weeks["2026-W46"] == (0, "missed")
    written = {w["window"]: (w["done"], w["status"]) for w in duties["written"]["windows"]}
    assert written["2026-W49"] == (1, "met")
    month = duties["education"]["windows"]
    assert [(w["window"], w["required"], w["done"], w["status"]) for w in month] == [
        ("2026-11", 12, 12, "met")
    ]
    assert duties["community_service"]["windows"][0]["status"] == "missed"
    bad = api(officers.owner).get(f"/api/v1/checkins/compliance?case_id={case.pk}&month=2026-13")
    assert bad.status_code == 422


def test_hours_that_are_no_number_are_refused_by_the_schema_not_a_500(officers, objects, api):
    """JSON as Python parses it admits NaN and Infinity; the schema refuses them (supervision/inputs.py)."""
    client = api(officers.owner)
    for hours in ("NaN", "Infinity", "-Infinity"):
        body = f'{{"case_id": {objects["case"].pk}, "kind": "education", "hours": {hours}}}'
        response = client.post("/api/v1/checkins", body)
        assert response.status_code == 422, (hours, response.content[:200])
        assert response.json()["details"]["fields"][0]["loc"] == ["body", "hours"]
    assert Checkin.objects.count() == 1
