"""Every endpoint that returns scoped data, checked with the same trio: 200 / 404 / 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from backend.core.actions.accounts import create_token
from backend.core.models import Jurisdiction, User
from tests.conftest import Trio, make_user

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    method: str
    path: Callable[[dict], str]
    body: Callable[[dict], dict | None] = lambda objs: None
    ok: int = 200


OFFICER_ENDPOINTS = {
    "get jurisdiction": Case("GET", lambda o: f"/api/v1/jurisdictions/{o['node'].pk}"),
}

ADMIN_ENDPOINTS = {
    "get jurisdiction": Case("GET", lambda o: f"/api/v1/jurisdictions/{o['node'].pk}"),
    "rename jurisdiction": Case(
        "PATCH", lambda o: f"/api/v1/jurisdictions/{o['node'].pk}", lambda o: {"name": "改名"}
    ),
    "create child jurisdiction": Case(
        "POST",
        lambda o: "/api/v1/jurisdictions",
        lambda o: {"parent_id": o["node"].pk, "code": "980101001099", "name": "新网格", "level": "grid"},
        ok=201,
    ),
    "get user": Case("GET", lambda o: f"/api/v1/users/{o['user'].pk}"),
    "update user": Case(
        "PATCH", lambda o: f"/api/v1/users/{o['user'].pk}", lambda o: {"display_name": "改名"}
    ),
    "unlock user": Case("POST", lambda o: f"/api/v1/users/{o['user'].pk}/unlock"),
    "list user tokens": Case("GET", lambda o: f"/api/v1/users/{o['user'].pk}/tokens"),
    "revoke user token": Case("DELETE", lambda o: f"/api/v1/tokens/{o['token'].pk}"),
    "create user": Case(
        "POST",
        lambda o: "/api/v1/users",
        lambda o: {
            "username": "new_officer",
            "password": "a long enough password 1",
            "display_name": "新人",
            "jurisdiction_id": o["node"].pk,
            "roles": ["township_officer"],
        },
        ok=201,
    ),
}


@pytest.fixture
def objects(tree) -> dict:
    """Records that belong to the owner's 司法所 (甲一)."""
    target = make_user("target", tree.township_a1)
    return {"node": tree.township_a1, "user": target, "token": create_token(user=target, name="t").token}


def run_trio(trio: Trio, case: Case, objects: dict, api) -> list[int]:
    statuses = []
    for who in (trio.outsider, trio.colleague, trio.owner):  # owner last: its call may change state
        response = api(who).request(case.method, case.path(objects), case.body(objects))
        statuses.append(response.status_code)
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
    return statuses[::-1]


@pytest.mark.parametrize("name", sorted(OFFICER_ENDPOINTS))
def test_officer_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, OFFICER_ENDPOINTS[name], objects, api) == [OFFICER_ENDPOINTS[name].ok, 404, 404]


@pytest.mark.parametrize("name", sorted(ADMIN_ENDPOINTS))
def test_admin_endpoints_are_scoped_to_the_admins_subtree(name, admins, objects, api):
    assert run_trio(admins, ADMIN_ENDPOINTS[name], objects, api) == [ADMIN_ENDPOINTS[name].ok, 404, 404]


def test_lists_hold_only_what_the_reader_may_see(tree, officers, admins, objects, api):
    def listed(user: User, path: str) -> set[int]:
        return {item["id"] for item in api(user).get(path).json()["items"]}

    assert tree.township_a1.pk in listed(officers.owner, "/api/v1/jurisdictions")
    assert listed(officers.owner, "/api/v1/jurisdictions") == set(
        Jurisdiction.objects.subtree(tree.township_a1).values_list("pk", flat=True)
    )
    assert tree.township_a1.pk not in listed(officers.colleague, "/api/v1/jurisdictions")
    assert tree.township_a1.pk not in listed(officers.outsider, "/api/v1/jurisdictions")
    assert objects["user"].pk in listed(admins.owner, "/api/v1/users")
    assert objects["user"].pk not in listed(admins.colleague, "/api/v1/users")
    assert objects["user"].pk not in listed(admins.outsider, "/api/v1/users")


def test_a_county_admin_sees_every_office_in_the_county(tree, objects, api):
    county_admin = make_user("county_admin", tree.county_a, "admin")
    assert api(county_admin).get(f"/api/v1/users/{objects['user'].pk}").status_code == 200
    assert api(county_admin).get(f"/api/v1/jurisdictions/{tree.township_b1.pk}").status_code == 404


def test_a_user_without_a_jurisdiction_sees_nothing(tree, api):
    stray = make_user("stray", tree.township_a1)
    User.objects.filter(pk=stray.pk).update(jurisdiction=None)
    assert api(stray).get("/api/v1/jurisdictions").json()["items"] == []


def test_cursor_pagination_walks_every_row_once(tree, officers, api):
    from tests.conftest import make_node

    for i in range(7):
        make_node(f"98010100101{i}", f"网格{i}", "grid", tree.township_a1)
    client, seen, cursor = api(officers.owner), [], None
    while True:
        page = client.get("/api/v1/jurisdictions?limit=3" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == Jurisdiction.objects.subtree(tree.township_a1).count() == 9
