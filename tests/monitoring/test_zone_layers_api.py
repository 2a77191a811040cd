"""Shared zone layers (共享区域图层) through the API: a county's 禁入 places assigned to many people at once,
all or none, scoped by the jurisdiction subtree, audited — and the change reaches the gateway's zone watch."""

from __future__ import annotations

import pytest

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.zones import create_zone
from backend.monitoring.models import Zone, ZoneLayer
from backend.monitoring.zone_watch import ZoneCache
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db

SCHOOL = {"type": "circle", "lat": 30.25, "lon": 120.15, "radius_m": 200}


@pytest.fixture
def county(tree):
    return make_user("county_officer", tree.county_a, Role.COUNTY_OFFICER)


@pytest.fixture
def people(tree, officers):
    """Two in 甲一 (the owner's office), one in 甲二; all inside 甲县."""
    return [
        factories.person(officers.owner, tree.township_a1, name="测试甲一"),
        factories.person(officers.owner, tree.township_a1, name="测试甲二"),
        factories.person(officers.colleague, tree.township_a2, name="测试甲三"),
    ]


def new_layer(api, user, jurisdiction, name="全县中小学（禁入）") -> dict:
    response = api(user).post("/api/v1/zone-layers", {"jurisdiction_id": jurisdiction.pk, "name": name})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_county_officer_creates_a_layer_and_assigns_three_people_at_once(api, tree, county, people):
    layer = new_layer(api, county, tree.county_a)
    assert layer["person_ids"] == [] and layer["zone_count"] == 0
    response = api(county).post(
        f"/api/v1/zone-layers/{layer['id']}/persons", {"person_ids": [p.pk for p in people]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == 3 and body["person_ids"] == sorted(p.pk for p in people)
    event = AuditEvent.objects.get(action="zone_layer.assign")
    assert event.details == {"persons": sorted(p.pk for p in people)}
    again = api(county).post(f"/api/v1/zone-layers/{layer['id']}/persons", {"person_ids": [people[0].pk]})
    assert again.json()["changed"] == 0  # already on it: nothing added, no second audit row
    assert AuditEvent.objects.filter(action="zone_layer.assign").count() == 1


def test_people_are_matched_by_id_number_without_the_number_in_any_url(api, tree, county, people):
    layer = new_layer(api, county, tree.county_a)
    numbers = [people[0].id_number, people[2].id_number.lower()]  # lower-case x is the same number
    response = api(county).post(f"/api/v1/zone-layers/{layer['id']}/persons", {"id_numbers": numbers})
    assert response.status_code == 200, response.content
    assert response.json()["person_ids"] == sorted([people[0].pk, people[2].pk])


def test_one_person_out_of_reach_refuses_the_whole_list(api, tree, officers, people):
    layer = new_layer(api, officers.owner, tree.township_a1)
    # people[2] lives in 甲二: the 甲一 officer cannot see them.
    response = api(officers.owner).post(
        f"/api/v1/zone-layers/{layer['id']}/persons", {"person_ids": [people[0].pk, people[2].pk]}
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert response.json()["details"]["missing"] == [people[2].pk]
    assert ZoneLayer.objects.get(pk=layer["id"]).persons.count() == 0
    by_number = api(officers.owner).post(
        f"/api/v1/zone-layers/{layer['id']}/persons",
        {"id_numbers": [people[0].id_number, people[2].id_number]},
    )
    assert by_number.status_code == 404 and "第 2 个" in by_number.json()["message"]
    assert people[2].id_number not in by_number.content.decode()  # never echoed
    assert ZoneLayer.objects.get(pk=layer["id"]).persons.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id_numbers": ["990101199003070019"]}, "id_numbers"),  # check digit wrong
        ({"id_numbers": ["990101199002300011"]}, "id_numbers"),  # 30 February
        ({"id_numbers": ["1" * 33]}, None),  # oversize
        ({"id_numbers": ["9901011990030700\x001"]}, None),  # NUL
        ({"person_ids": list(range(1, 1002))}, None),  # more than one request may name
        ({"person_ids": ["abc"]}, None),
        ({"action": "delete", "person_ids": [1]}, None),
        ({}, "person_ids"),  # nobody named
    ],
)
def test_garbage_in_the_bulk_list_is_refused_in_chinese_and_nothing_changes(
    api, tree, county, people, body, field
):
    layer = new_layer(api, county, tree.county_a)
    response = api(county).post(f"/api/v1/zone-layers/{layer['id']}/persons", body)
    assert response.status_code == 422, response.content
    if field:
        assert response.json()["details"]["field"] == field
    assert ZoneLayer.objects.get(pk=layer["id"]).persons.count() == 0


def test_people_are_removed_and_each_change_is_audited(api, tree, county, people):
    layer = new_layer(api, county, tree.county_a)
    url = f"/api/v1/zone-layers/{layer['id']}/persons"
    api(county).post(url, {"person_ids": [p.pk for p in people]})
    response = api(county).post(url, {"action": "remove", "person_ids": [people[1].pk]})
    assert response.status_code == 200 and response.json()["changed"] == 1
    assert response.json()["person_ids"] == sorted([people[0].pk, people[2].pk])
    assert AuditEvent.objects.get(action="zone_layer.unassign").details == {"persons": [people[1].pk]}


def test_layers_are_scoped_by_the_jurisdiction_subtree(api, tree, officers, county):
    mine = new_layer(api, officers.owner, tree.township_a1, "甲一禁入")
    county_layer = new_layer(api, county, tree.county_a, "甲县禁入")
    listed = {item["id"] for item in api(officers.owner).get("/api/v1/zone-layers").json()["items"]}
    assert listed == {mine["id"]}  # the county's layer is above the township
    assert {i["id"] for i in api(county).get("/api/v1/zone-layers").json()["items"]} == {
        mine["id"],
        county_layer["id"],
    }
    for user in (officers.colleague, officers.outsider):
        assert api(user).get(f"/api/v1/zone-layers/{mine['id']}").status_code == 404
        assert api(user).patch(f"/api/v1/zone-layers/{mine['id']}", {"name": "改"}).status_code == 404
    assert api(officers.owner).get(f"/api/v1/zone-layers/{county_layer['id']}").status_code == 404
    # A layer for an office out of reach cannot be made.
    refused = api(officers.owner).post(
        "/api/v1/zone-layers", {"jurisdiction_id": tree.county_a.pk, "name": "越级"}
    )
    assert refused.status_code == 404


def test_a_team_member_may_not_manage_layers(api, tree):
    member = make_user("member", tree.township_a1, Role.TEAM_MEMBER)
    assert api(member).get("/api/v1/zone-layers").status_code == 403
    response = api(member).post("/api/v1/zone-layers", {"jurisdiction_id": tree.township_a1.pk, "name": "x"})
    assert response.status_code in (403, 404)


def test_renaming_is_audited_and_a_blank_name_is_refused(api, tree, county):
    layer = new_layer(api, county, tree.county_a)
    url = f"/api/v1/zone-layers/{layer['id']}"
    assert api(county).patch(url, {"name": "  全县网吧  "}).json()["name"] == "全县网吧"
    assert AuditEvent.objects.filter(action="zone_layer.update").count() == 1
    assert api(county).patch(url, {"name": ""}).status_code == 422
    assert api(county).patch(url, {"name": "x" * 101}).status_code == 422
    assert (
        api(county)
        .post("/api/v1/zone-layers", {"jurisdiction_id": tree.county_a.pk, "name": " "})
        .status_code
        == 422
    )


def test_a_default_correction_layer_takes_nobody_by_hand(api, tree, county, people):
    layer = ZoneLayer.objects.create(jurisdiction=tree.county_a, name="县界", default_for_correction=True)
    response = api(county).post(f"/api/v1/zone-layers/{layer.pk}/persons", {"person_ids": [people[0].pk]})
    assert response.status_code == 409 and "无需逐人加入" in response.json()["message"]


def test_assigning_a_layer_reaches_the_gateways_zone_watch(api, tree, county, people):
    layer = new_layer(api, county, tree.county_a)
    zone = create_zone(by=county, jurisdiction=tree.county_a, layer=ZoneLayer.objects.get(pk=layer["id"]),
                       name="测试小学", kind="exclusion", geometry=SCHOOL)  # fmt: skip
    cache = ZoneCache(refresh_seconds=0)
    assert cache.for_persons({people[0].pk}) == {}
    stamp = Zone.objects.get(pk=zone.pk).updated_at
    api(county).post(f"/api/v1/zone-layers/{layer['id']}/persons", {"person_ids": [people[0].pk]})
    assert Zone.objects.get(pk=zone.pk).updated_at > stamp  # what the watch's stamp reads
    watched = cache.for_persons({people[0].pk})
    assert [w.id for w in watched[people[0].pk]] == [zone.pk]
    api(county).post(
        f"/api/v1/zone-layers/{layer['id']}/persons", {"action": "remove", "person_ids": [people[0].pk]}
    )
    assert cache.for_persons({people[0].pk}) == {}
    assert api(county).get(f"/api/v1/zone-layers/{layer['id']}").json()["zone_count"] == 1
