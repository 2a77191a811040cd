"""Corridor zones through the zones API and the zone watch: created and returned as a route with a width,
refused in Chinese when degenerate or wider than the province's rule, and a person who leaves the route
raises a zone exit alert (an exclusion corridor, e.g. a school's road, a zone entry on a pass-through)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.monitoring.models import Alert, Zone
from tests.monitoring import test_zone_watch as zone_watch
from tests.monitoring.test_zone_watch import START, at_distance, evaluator, fixes

person, device = zone_watch.person, zone_watch.device  # the same fixtures

pytestmark = pytest.mark.django_db

# A route from home 3 km east, then 2 km north; 100 m either side.
BEND = at_distance(3000, 90)
END = at_distance(2000, 0, origin=BEND)
ROUTE = {"type": "corridor", "line": [[120.0, 30.0], [BEND[1], BEND[0]], [END[1], END[0]]], "width_m": 100}


def post(api, owner, person, geometry, kind="inclusion"):
    body = {"name": "上班路线（测试）", "kind": kind, "geometry": geometry, "person_id": person.pk}
    return api(owner).post("/api/v1/zones", body)


def test_a_corridor_goes_in_and_comes_back_as_its_route_with_its_width(person, officers, api):
    created = post(api, officers.owner, person, ROUTE)
    assert created.status_code == 201, created.json()
    feature = created.json()
    assert feature["geometry"] == {"type": "LineString", "coordinates": ROUTE["line"]}
    assert feature["properties"]["width_m"] == 100 and feature["properties"]["radius_m"] is None
    again = api(officers.owner).get(f"/api/v1/zones/{feature['id']}").json()
    assert again["geometry"]["type"] == "LineString"
    assert Zone.objects.get().geometry == ROUTE


@pytest.mark.parametrize(
    ("geometry", "fragment"),
    [
        ({"type": "corridor", "line": [[120.0, 30.0]], "width_m": 100}, "两个不同的点"),
        ({"type": "corridor", "line": [[120.0, 30.0], [120.0, 30.0]], "width_m": 100}, "两个不同的点"),
        ({"type": "corridor", "line": ROUTE["line"], "width_m": 0}, "走廊宽度"),
        ({"type": "corridor", "line": ROUTE["line"], "width_m": 5001}, "最多 5000 米"),
        ({"type": "corridor", "line": [[120.0, 91.0], [120.1, 30.0]], "width_m": 50}, "纬度"),
        ({"type": "corridor", "line": "120 30, 121 30", "width_m": 50}, "走廊格式"),
    ],
)
def test_a_bad_corridor_is_refused_in_chinese_and_nothing_is_saved(person, officers, api, geometry, fragment):
    response = post(api, officers.owner, person, geometry)
    assert response.status_code == 422
    assert fragment in response.json()["message"], response.json()["message"]
    assert not Zone.objects.exists()


def test_the_widest_corridor_an_officer_may_draw_is_the_provinces_rule(person, officers, api, province_rules):
    province_rules(zone_corridor_max_width_m=2000.0)
    wide = {**ROUTE, "width_m": 2500}
    refused = post(api, officers.owner, person, wide)
    assert refused.status_code == 422 and "最多 2000 米" in refused.json()["message"]
    assert post(api, officers.owner, person, {**ROUTE, "width_m": 2000}).status_code == 201


def test_leaving_the_route_raises_a_zone_exit_and_staying_on_it_does_not(person, device, officers, api):
    zone_id = post(api, officers.owner, person, ROUTE).json()["id"]
    watch = evaluator()
    on_route = [at_distance(d, 90) for d in (500, 1000, 1500, 2500)] + [at_distance(900, 0, origin=BEND)]
    watch(fixes(device, START, on_route))
    assert not Alert.objects.exists()
    off = at_distance(600, 180, origin=at_distance(1500, 90))  # 600 m south of the first leg
    watch(fixes(device, START + dt.timedelta(minutes=5), [off, off]))
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject) == ("zone_exit", f"zone:{zone_id}")


def test_an_exclusion_corridor_is_entered_by_crossing_it_between_two_fixes(person, device, officers, api):
    post(api, officers.owner, person, ROUTE, kind="exclusion")
    north, south = (
        at_distance(400, 0, origin=at_distance(1500, 90)),
        at_distance(400, 180, origin=at_distance(1500, 90)),
    )
    evaluator()(fixes(device, START, [north, south], step_s=120))
    alert = Alert.objects.get()
    assert (alert.kind, alert.details["reason"]) == ("zone_entry", "pass_through")
