"""Every People endpoint with the trio: owner officer 2xx, colleague in another 司法所 404, outsider 404."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import Role
from backend.people.actions.persons import grant_access
from backend.people.actions.teams import add_member
from tests.conftest import Trio, make_user
from tests.core.test_scoping import Case, run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db
TODAY = str(dt.date.today())


@pytest.fixture
def objects(tree, officers) -> dict:
    owner = officers.owner
    person = factories.person(owner, tree.township_a1)
    correction = factories.correction(owner, person)
    add_member(by=owner, team=correction.team, role="leader", gender="male", user=owner)
    extra = add_member(by=owner, team=correction.team, role="volunteer", gender="male", name="测试志愿者")
    mh = factories.mental_health(owner, person, risk_level=1)
    aftercare = factories.aftercare(owner, factories.person(owner, tree.township_a1))
    fresh = factories.person(owner, tree.township_a1)
    minor = factories.person(
        owner, tree.township_a1, birth=dt.date.today().replace(year=dt.date.today().year - 15)
    )
    return {
        "person": person, "correction": correction, "team": correction.team, "member": extra, "mh": mh,
        "aftercare": aftercare, "fresh": fresh, "minor": minor,
    }  # fmt: skip


OFFICER_ENDPOINTS = {
    "get person": Case("GET", lambda o: f"/api/v1/persons/{o['person'].pk}"),
    "update person": Case("PATCH", lambda o: f"/api/v1/persons/{o['person'].pk}", lambda o: {"employer": "测试单位"}),
    "get case": Case("GET", lambda o: f"/api/v1/cases/{o['correction'].pk}"),
    "update case": Case("PATCH", lambda o: f"/api/v1/cases/{o['correction'].pk}", lambda o: {"details": {"court": "测试法院"}}),
    "open case": Case(
        "POST", lambda o: "/api/v1/cases",
        lambda o: {"person_id": o["fresh"].pk, "kind": "mental_health",
                   "mental_health": {"diagnosis": "bipolar", "risk_level": 0, "opened_on": TODAY}},
        ok=201,
    ),
    "transition case": Case("POST", lambda o: f"/api/v1/cases/{o['correction'].pk}/transitions", lambda o: {"action": "report"}),
    "list transitions": Case("GET", lambda o: f"/api/v1/cases/{o['correction'].pk}/transitions"),
    "add mark": Case(
        "POST", lambda o: f"/api/v1/cases/{o['mh'].pk}/marks",
        lambda o: {"kind": "risk_level", "value": "2", "effective_on": TODAY, "reason": "测试评估"}, ok=201,
    ),
    "list marks": Case("GET", lambda o: f"/api/v1/cases/{o['mh'].pk}/marks"),
    "add placement": Case(
        "POST", lambda o: f"/api/v1/cases/{o['aftercare'].pk}/placements", lambda o: {"kind": "job", "start_on": TODAY}, ok=201
    ),
    "list placements": Case("GET", lambda o: f"/api/v1/cases/{o['aftercare'].pk}/placements"),
    "add emergency": Case(
        "POST", lambda o: f"/api/v1/cases/{o['mh'].pk}/emergencies",
        lambda o: {"occurred_at": "2026-01-01T00:00:00+08:00", "description": "测试"}, ok=201,
    ),
    "get team": Case("GET", lambda o: f"/api/v1/teams/{o['team'].pk}"),
    "add member": Case(
        "POST", lambda o: f"/api/v1/teams/{o['team'].pk}/members", lambda o: {"gender": "female", "role": "family", "name": "测试家属"},
        ok=201,
    ),
    "remove member": Case("DELETE", lambda o: f"/api/v1/teams/{o['team'].pk}/members/{o['member'].pk}"),
    "activate team": Case("POST", lambda o: f"/api/v1/teams/{o['team'].pk}/activate"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OFFICER_ENDPOINTS))
def test_people_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, OFFICER_ENDPOINTS[name], objects, api) == [OFFICER_ENDPOINTS[name].ok, 404, 404]


def test_emergency_records_are_scoped_for_health_workers_too(tree, objects, api):
    health = Trio(
        owner=make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER),
        colleague=make_user("doctor_a2", tree.township_a2, Role.HEALTH_WORKER),
        outsider=make_user("doctor_b1", tree.township_b1, Role.HEALTH_WORKER),
    )
    case = Case("GET", lambda o: f"/api/v1/cases/{o['mh'].pk}/emergencies")
    assert run_trio(health, case, objects, api) == [200, 404, 404]


@pytest.mark.parametrize(
    "case",
    [
        Case("GET", lambda o: f"/api/v1/persons/{o['minor'].pk}/grants"),
        Case(
            "POST",
            lambda o: f"/api/v1/persons/{o['minor'].pk}/grants",
            lambda o: {"user_id": o["grantee"].pk, "reason": "测试"},
            ok=201,
        ),
        Case("DELETE", lambda o: f"/api/v1/persons/{o['minor'].pk}/grants/{o['grant'].pk}"),
    ],
    ids=["list grants", "create grant", "revoke grant"],
)
def test_grant_endpoints_are_scoped_to_the_admins_subtree(case, tree, admins, objects, api):
    objects["grantee"] = make_user("grantee", tree.township_a1)
    objects["grant"] = grant_access(
        by=admins.owner, person=objects["minor"], user=objects["grantee"], reason="测试", days=3
    )
    assert run_trio(admins, case, objects, api) == [case.ok, 404, 404]


@pytest.mark.parametrize(
    ("path", "key"),
    [("/api/v1/persons", "person"), ("/api/v1/cases", "correction"), ("/api/v1/teams", "team")],
)
def test_lists_hold_only_what_the_reader_may_see(path, key, officers, objects, api):
    def ids(user):
        return {item["id"] for item in api(user).get(path).json()["items"]}

    assert objects[key].pk in ids(officers.owner)
    assert objects[key].pk not in ids(officers.colleague)
    assert objects[key].pk not in ids(officers.outsider)


def test_search_finds_nothing_out_of_scope(officers, objects, api):
    body = {"id_number": objects["person"].id_number}
    assert len(api(officers.owner).post("/api/v1/persons/search", body).json()["items"]) == 1
    assert api(officers.colleague).post("/api/v1/persons/search", body).json()["items"] == []
    assert api(officers.outsider).post("/api/v1/persons/search", body).json()["items"] == []
