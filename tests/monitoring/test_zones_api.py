from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.monitoring.models import Device, Position, Zone
from tests.core.test_scoping import Case, run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01], [120.0, 30.0]]],
}


@pytest.fixture
def person(tree, officers):
    return factories.person(officers.owner, tree.township_a1)


def test_a_zone_goes_in_and_comes_back_as_geojson(person, officers, api):
    client = api(officers.owner)
    created = client.post(
        "/api/v1/zones",
        {"name": "县域（测试）", "kind": "inclusion", "geometry": SQUARE, "person_id": person.pk,
         "schedule": [{"weekday": 0, "start": "22:00", "end": "06:00"}]},
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    feature = created.json()
    assert (
        feature["type"] == "Feature"
        and feature["geometry"] == SQUARE
        and feature["properties"]["kind"] == "inclusion"
    )
    circle = client.post(
        "/api/v1/zones",
        {"name": "居住地（测试）", "kind": "inclusion", "person_id": person.pk,
         "geometry": {"type": "circle", "lat": 30.005, "lon": 120.005, "radius_m": 300}},
    ).json()  # fmt: skip
    assert (
        circle["geometry"] == {"type": "Point", "coordinates": [120.005, 30.005]}
        and circle["properties"]["radius_m"] == 300
    )
    listed = client.get(f"/api/v1/zones?person_id={person.pk}").json()
    assert listed["type"] == "FeatureCollection" and len(listed["features"]) == 2


def test_a_zone_without_a_margin_takes_the_default_and_can_be_given_one_and_returned_to_it(
    person, officers, api
):
    client = api(officers.owner)
    body = {"name": "县域（测试）", "kind": "inclusion", "geometry": SQUARE, "person_id": person.pk}
    zone = client.post("/api/v1/zones", body).json()
    assert zone["properties"]["margin_m"] is None  # the default tolerance (docs/monitoring.md)
    path = f"/api/v1/zones/{zone['id']}"
    assert client.patch(path, {"margin_m": 0}).json()["properties"]["margin_m"] == 0
    assert client.patch(path, {"name": "县域"}).json()["properties"]["margin_m"] == 0  # untouched
    assert client.patch(path, {"margin_m": None}).json()["properties"]["margin_m"] is None
    refused = client.patch(path, {"margin_m": -5})
    assert refused.status_code == 422 and "缓冲距离" in refused.json()["message"]
    assert Zone.objects.get(pk=zone["id"]).margin_m is None


@pytest.mark.parametrize(
    ("geometry", "fragment"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, 30.01]]],
            },
            "闭合",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[120, 30], [120.01, 30.01], [120.01, 30], [120, 30.01], [120, 30]]],
            },
            "自相交",
        ),
        ({"type": "circle", "lat": 30, "lon": 120, "radius_m": 5}, "半径"),
        ({"type": "LineString", "coordinates": [[120, 30], [121, 31]]}, "多边形"),
    ],
)
def test_a_bad_geometry_is_refused_in_chinese_and_nothing_is_saved(person, officers, api, geometry, fragment):
    response = api(officers.owner).post(
        "/api/v1/zones", {"name": "坏区域", "kind": "exclusion", "geometry": geometry, "person_id": person.pk}
    )
    assert response.status_code == 422
    assert fragment in response.json()["message"], response.json()["message"]
    assert not Zone.objects.exists()


def test_the_track_is_geojson_in_time_order_and_its_reading_is_audited(tree, person, officers, api):
    device = Device.objects.create(
        jurisdiction=tree.township_a1,
        kind="watch",
        protocol="gt06",
        identifier="864717003283581",
        person=person,
    )
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    for minutes in (20, 0, 10):
        Position.objects.create(device=device, person=person, fix_time=start + dt.timedelta(minutes=minutes),
                                received_at=timezone.now(), point=[30.0 + minutes / 1000, 120.0], valid=True, source="gnss")  # fmt: skip
    window = f"from={(start - dt.timedelta(minutes=1)).isoformat()}&to={timezone.now().isoformat()}".replace(
        "+", "%2B"
    )
    track = api(officers.owner).get(f"/api/v1/persons/{person.pk}/track?{window}").json()
    assert [f["geometry"]["coordinates"] for f in track["features"]] == [
        [120.0, 30.0],
        [120.0, 30.01],
        [120.0, 30.02],
    ]
    assert AuditEvent.objects.filter(action="person.read_track", target_id=str(person.pk)).count() == 1


@pytest.fixture
def objects(person):
    zone = Zone.objects.create(
        name="测试", kind="inclusion", jurisdiction=person.jurisdiction, person=person, geometry=SQUARE
    )
    return {"zone": zone, "person": person}


ENDPOINTS = {
    "get zone": Case("GET", lambda o: f"/api/v1/zones/{o['zone'].pk}"),
    "update zone": Case("PATCH", lambda o: f"/api/v1/zones/{o['zone'].pk}", lambda o: {"name": "改名"}),
    "person track": Case(
        "GET",
        lambda o: f"/api/v1/persons/{o['person'].pk}/track?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_zone_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [200, 404, 404]
