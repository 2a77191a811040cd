"""Zone violations from fixes: confirmed breaches only, no flapping, pass-through, late fixes, restarts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from geopy.distance import geodesic

from backend.monitoring.models import Alert, AlertEvent, Device, Zone, ZoneState
from backend.monitoring.zone_watch import ZoneCache, ZoneEvaluator
from gps_gateway.protocols.common import Fix
from gps_gateway.rows import FixRow
from tests.people import factories

pytestmark = pytest.mark.django_db
HOME = (30.0, 120.0)


def at_distance(metres: float, bearing: float = 0.0, origin=HOME) -> tuple[float, float]:
    point = geodesic(meters=metres).destination(origin, bearing)
    return point.latitude, point.longitude


@pytest.fixture
def person(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    factories.correction(officers.owner, person)
    return person


@pytest.fixture
def device(tree, person):
    return Device.objects.create(
        jurisdiction=tree.township_a1,
        kind="watch",
        protocol="gt06",
        identifier="864717003283581",
        person=person,
    )


@pytest.fixture
def home(tree, person):
    geometry = {"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000}
    return Zone.objects.create(
        name="居住地 1 公里（测试）",
        kind="inclusion",
        jurisdiction=tree.township_a1,
        person=person,
        geometry=geometry,
    )


def square(lat: float, lon: float, d: float) -> dict:
    """A GeoJSON polygon ``d`` degrees either side of (lat, lon)."""
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def bar(tree, person):
    """An exclusion zone 5 km east of home: a 400 m square (a bar the court order forbids)."""
    return Zone.objects.create(name="禁止进入的酒吧（测试）", kind="exclusion", jurisdiction=tree.township_a1, person=person,
                               geometry=square(*at_distance(5000, 90), 0.002))  # fmt: skip


def evaluator() -> ZoneEvaluator:
    return ZoneEvaluator(ZoneCache(refresh_seconds=0))


def fixes(
    device, start: dt.datetime, points, *, accuracy: float = 10, step_s: int = 30, late: bool = False
) -> list[FixRow]:
    return [
        FixRow(device.pk, device.person_id,
               Fix(fix_time=start + dt.timedelta(seconds=i * step_s), latitude=lat, longitude=lon, valid=True, accuracy_m=accuracy),
               timezone.now(), late=late)
        for i, (lat, lon) in enumerate(points)
    ]  # fmt: skip


START = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def test_one_fix_outside_is_not_yet_a_violation_but_two_are(device, home):
    watch = evaluator()
    watch(fixes(device, START, [at_distance(2000)]))
    assert not Alert.objects.exists()
    watch(fixes(device, START + dt.timedelta(minutes=1), [at_distance(2100)]))
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject, alert.details["reason"]) == (
        "zone_exit",
        f"zone:{home.pk}",
        "confirmed",
    )


def test_a_fix_whose_accuracy_circle_straddles_the_boundary_raises_nothing(device, home):
    evaluator()(fixes(device, START, [at_distance(1100)] * 6, accuracy=300))  # 100 m out, ±300 m
    assert not Alert.objects.exists()


def test_jitter_along_the_boundary_does_not_flap(device, home):
    import random

    rng = random.Random(3)
    walk = [at_distance(1000 + rng.uniform(-10, 10), rng.uniform(0, 360)) for _ in range(200)]
    evaluator()(fixes(device, START, walk, accuracy=15))
    assert not Alert.objects.exists()


def test_a_slow_second_fix_confirms_by_time(device, home):
    Zone.objects.filter(pk=home.pk).update(confirm_fixes=5, confirm_seconds=60)
    evaluator()(fixes(device, START, [at_distance(2000), at_distance(2000)], step_s=61))
    assert Alert.objects.count() == 1


def test_passing_through_an_exclusion_zone_between_two_sparse_fixes_alerts(device, bar):
    west, east = at_distance(4500, 90), at_distance(5500, 90)
    evaluator()(fixes(device, START, [west, east], step_s=300))
    alert = Alert.objects.get()
    assert (alert.kind, alert.details["reason"]) == ("zone_entry", "pass_through")


def test_passing_beside_an_exclusion_zone_does_not(device, bar):
    north_west = at_distance(1000, 0, at_distance(4500, 90))
    north_east = at_distance(1000, 0, at_distance(5500, 90))
    evaluator()(fixes(device, START, [north_west, north_east], step_s=300))
    assert not Alert.objects.exists()


def test_a_late_fix_inside_an_exclusion_zone_still_alerts_as_late(device, bar):
    watch = evaluator()
    watch(fixes(device, START, [at_distance(100)] * 3))
    inside_bar = at_distance(5000, 90)
    watch(fixes(device, START - dt.timedelta(hours=1), [inside_bar], late=True))
    assert not Alert.objects.exists()  # one fix is not yet a violation, late or live
    watch(fixes(device, START - dt.timedelta(minutes=59), [inside_bar], late=True))  # the next batch
    alert = Alert.objects.get()
    assert (alert.kind, alert.late, alert.details["reason"]) == ("zone_entry", True, "late_fix")
    assert not ZoneState.objects.get(zone=bar).violating  # the live state is left alone


def test_late_fixes_from_two_stored_tracks_do_not_confirm_each_other(device, bar):
    watch = evaluator()
    watch(fixes(device, START, [at_distance(100)] * 3))
    inside_bar = at_distance(5000, 90)
    watch(fixes(device, START - dt.timedelta(hours=1), [inside_bar], late=True))
    watch(fixes(device, START - dt.timedelta(hours=3), [inside_bar], late=True))  # an older track
    assert not Alert.objects.exists()


def test_a_restart_mid_violation_keeps_one_alert(device, home):
    evaluator()(fixes(device, START, [at_distance(2000)] * 3))
    # A new process (restart) picks the state up from the database and goes on counting the same breach.
    evaluator()(fixes(device, START + dt.timedelta(minutes=5), [at_distance(2200)] * 3))
    assert Alert.objects.count() == 1
    assert ZoneState.objects.get().violating is True


def test_coming_back_ends_the_violation_and_leaves_the_alert_for_an_officer(device, home):
    watch = evaluator()
    watch(fixes(device, START, [at_distance(2000)] * 2))
    watch(fixes(device, START + dt.timedelta(minutes=5), [at_distance(100)] * 2))
    alert = Alert.objects.get()
    assert alert.state == "open" and not ZoneState.objects.get().violating
    assert AlertEvent.objects.filter(alert=alert, kind="note").exists()
    # Leaving again counts on the same open alert instead of a second one.
    watch(fixes(device, START + dt.timedelta(minutes=10), [at_distance(2000)] * 2))
    assert Alert.objects.count() == 1 and Alert.objects.get().occurrences == 2


def test_a_curfew_applies_only_in_its_window(device, home):
    curfew = [{"weekday": d, "start": "22:00", "end": "06:00"} for d in range(7)]
    Zone.objects.filter(pk=home.pk).update(schedule=curfew)
    noon_shanghai = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
    evaluator()(fixes(device, noon_shanghai, [at_distance(3000)] * 3))
    assert not Alert.objects.exists()
    night_shanghai = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    evaluator()(fixes(device, night_shanghai, [at_distance(3000)] * 3))
    assert Alert.objects.count() == 1


def test_people_without_zones_cost_one_lookup(device):
    assert evaluator()(fixes(device, START, [at_distance(2000)] * 3)) == 0
    assert not ZoneState.objects.exists()


def test_an_imported_county_boundary_covers_every_correction_subject_in_the_county(
    tmp_path, tree, officers, device, capsys
):
    import json

    from django.core.management import call_command

    lat, lon = HOME
    d = 0.05  # about 5 km each way
    ring = [
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d],
        [lon - d, lat - d],
    ]
    path = tmp_path / "county.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))  # fmt: skip
    call_command("import_boundary", "--jurisdiction", tree.county_a.code, "--file", str(path))
    assert "适用于 甲县 的全部社区矫正对象" in capsys.readouterr().out
    evaluator()(fixes(device, START, [at_distance(8000)] * 2))  # 8 km from home: outside the county
    alert = Alert.objects.get()
    assert alert.kind == "zone_exit" and alert.person_id == device.person_id
    patient = factories.person(officers.owner, tree.township_a1)
    factories.mental_health(officers.owner, patient)
    other = Device.objects.create(jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283599",
                                  person=patient)  # fmt: skip
    evaluator()(fixes(other, START, [at_distance(8000)] * 2))
    assert Alert.objects.count() == 1  # the county boundary is a correction rule, not a mental-health one


def test_a_broken_boundary_file_is_refused_with_the_reason(tmp_path, tree):
    import json

    from django.core.management import CommandError, call_command

    path = tmp_path / "bad.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[120, 30], [120.1, 30.1], [120.1, 30], [120, 30.1], [120, 30]]],
            }
        )
    )
    with pytest.raises(CommandError, match="边界无效"):
        call_command("import_boundary", "--jurisdiction", tree.county_a.code, "--file", str(path))
    assert not Zone.objects.exists()


def test_a_pass_through_is_found_when_the_two_fixes_arrive_in_different_batches(device, bar):
    west, east = at_distance(4500, 90), at_distance(5500, 90)
    watch = evaluator()
    watch(fixes(device, START, [west]))
    watch(fixes(device, START + dt.timedelta(minutes=6), [east]))  # the next gateway batch
    alert = Alert.objects.get()
    assert (alert.kind, alert.details["reason"]) == ("zone_entry", "pass_through")


def test_a_pass_through_stored_by_the_device_and_sent_in_a_late_batch_alerts_as_late(device, bar):
    watch = evaluator()
    watch(fixes(device, START, [at_distance(100)] * 3))
    west, east = at_distance(4500, 90), at_distance(5500, 90)
    watch(fixes(device, START - dt.timedelta(hours=1), [west, east], step_s=300, late=True))
    alert = Alert.objects.get()
    assert (alert.kind, alert.late, alert.details["reason"]) == ("zone_entry", True, "late_pass_through")


def chord_inside_the_north_edge(depth_m: float) -> list[tuple[float, float]]:
    """Two fixes 100 m west and east of the bar whose straight path runs ``depth_m`` inside its north edge."""
    along = at_distance(222.6 - depth_m, 0, at_distance(5000, 90))  # the edge is 0.002° (222.6 m) north
    return [at_distance(293, 270, along), at_distance(293, 90, along)]


def test_a_path_cutting_into_an_exclusion_zone_less_deep_than_its_fixes_uncertainty_does_not_alert(
    device, bar
):
    evaluator()(fixes(device, START, chord_inside_the_north_edge(60), accuracy=55, step_s=300))
    assert not Alert.objects.exists()  # 60 m in, but the path may be 66 m (1.2 × 55 m) off


def test_the_same_path_from_precise_fixes_is_a_pass_through(device, bar):
    evaluator()(fixes(device, START, chord_inside_the_north_edge(60), accuracy=5, step_s=300))
    assert Alert.objects.get().details["reason"] == "pass_through"


def test_a_path_clipping_a_corner_by_less_than_fifty_metres_is_not_a_pass_through(device, bar):
    evaluator()(fixes(device, START, chord_inside_the_north_edge(45), accuracy=5, step_s=300))
    assert not Alert.objects.exists()


def test_a_zone_too_small_for_fifty_metres_is_judged_at_three_fifths_of_its_depth(tree, device):
    from backend.monitoring.zone_watch import pass_zones_of

    small = Zone.objects.create(name="小型禁止区域（测试）", kind="exclusion", jurisdiction=tree.township_a1,
                                person=device.person, geometry={"type": "circle", "lat": 30.1, "lon": 120.1, "radius_m": 45})  # fmt: skip
    depths = [depth for depth, _ in pass_zones_of(small)]
    assert depths[0] == 27.0  # 0.6 × 45 m: a path through its middle reaches 45 m
    west, east = at_distance(100, 270, (30.1, 120.1)), at_distance(100, 90, (30.1, 120.1))
    evaluator()(fixes(device, START, [west, east], accuracy=5, step_s=300))
    assert Alert.objects.get().details["reason"] == "pass_through"


def test_urban_drift_a_hundred_metres_past_an_inclusion_boundary_raises_nothing(device, home):
    watch = evaluator()
    watch(fixes(device, START, [at_distance(1100)] * 8))  # 100 m out claiming ±10 m: multipath
    assert not Alert.objects.exists()  # inside the default tolerance (150 m)
    watch(fixes(device, START + dt.timedelta(minutes=10), [at_distance(1300)] * 2))
    assert Alert.objects.get().details["reason"] == "confirmed"


def test_a_zone_that_sets_its_own_margin_is_judged_by_it(device, home):
    Zone.objects.filter(pk=home.pk).update(margin_m=0)
    evaluator()(fixes(device, START, [at_distance(1100)] * 2))
    assert Alert.objects.get().kind == "zone_exit"


def test_the_default_tolerance_is_at_most_a_quarter_of_a_small_zones_radius(tree, person, home):
    from backend.monitoring.zone_watch import margin_of, shape_of

    small = Zone(kind="inclusion", geometry={"type": "circle", "lat": 30.0, "lon": 120.0, "radius_m": 100})
    assert margin_of(small, shape_of(small.geometry)) == 25.0
    assert margin_of(home, shape_of(home.geometry)) == 150.0
    bar = Zone(kind="exclusion", geometry=small.geometry)
    assert margin_of(bar, shape_of(bar.geometry)) == 0.0  # entering counts from the boundary


def test_a_fix_counts_as_outside_only_beyond_one_and_a_half_times_its_accuracy(device, home):
    Zone.objects.filter(pk=home.pk).update(margin_m=0)
    watch = evaluator()
    watch(fixes(device, START, [at_distance(1052)] * 4, accuracy=40))  # 1.3 × 40 m out: 1 in 10 is inside
    assert not Alert.objects.exists()
    watch(fixes(device, START + dt.timedelta(minutes=5), [at_distance(1068)] * 2, accuracy=40))  # 1.7 ×
    assert Alert.objects.count() == 1


def near_the_bars_north_west_corner(x_m: float, y_m: float) -> tuple[float, float]:
    """A point x metres east and y metres north of the bar's north-west corner (the bar lies east and south)."""
    import math

    centre = at_distance(5000, 90)
    corner = (centre[0] + 0.002, centre[1] - 0.002)
    return at_distance(math.hypot(x_m, y_m), math.degrees(math.atan2(x_m, y_m)), corner)


def test_walking_round_an_exclusion_zones_corner_is_not_a_pass_through(device, bar):
    # 20 m west of the west edge, then 3 m from the corner (too close to call), then 20 m north of the
    # north edge: the straight line from the first fix to the last cuts 65 m into the corner.
    walk = [near_the_bars_north_west_corner(-20, -150), near_the_bars_north_west_corner(-3, 3),
            near_the_bars_north_west_corner(150, 20)]  # fmt: skip
    evaluator()(fixes(device, START, walk, accuracy=5, step_s=100))
    assert not Alert.objects.exists()


def test_the_same_two_fixes_without_the_one_beside_the_corner_are_a_pass_through(device, bar):
    ends = [near_the_bars_north_west_corner(-20, -150), near_the_bars_north_west_corner(150, 20)]
    evaluator()(fixes(device, START, ends, accuracy=5, step_s=200))
    assert Alert.objects.get().details["reason"] == "pass_through"


def test_a_tag_that_reports_no_accuracy_is_seen_passing_through(device, bar):
    west, east = at_distance(4500, 90), at_distance(5500, 90)
    rows = fixes(device, START, [west, east], step_s=300)
    for row in rows:
        row.fix.accuracy_m = None  # JT/T 808 and GT06 report none: judged as DEFAULT_ACCURACY_M (50 m)
    evaluator()(rows)
    assert Alert.objects.get().details["reason"] == "pass_through"


def test_after_a_silence_of_more_than_fifteen_minutes_the_straight_path_is_not_assumed(device, bar):
    west, east = at_distance(4500, 90), at_distance(5500, 90)
    evaluator()(fixes(device, START, [west, east], step_s=16 * 60))
    assert not Alert.objects.exists()


@pytest.mark.parametrize(("out_m", "alerts"), [(190, 0), (200, 1)])
def test_the_default_tolerance_still_sees_a_person_two_hundred_metres_out_with_a_thirty_metre_fix(
    device, home, out_m, alerts
):
    # 150 m tolerance + 1.5 × 30 m = 195 m: what docs/monitoring.md promises.
    evaluator()(fixes(device, START, [at_distance(1000 + out_m)] * 2, accuracy=30))
    assert Alert.objects.count() == alerts


def test_a_polygon_is_judged_at_fifty_metres_or_three_fifths_of_its_largest_inscribed_circle(
    tree, device, bar
):
    from backend.monitoring.zone_watch import pass_zones_of

    # 96 m east-west by 111 m north-south: inscribed radius 48 m
    kiosk = Zone.objects.create(name="小型禁止区域（测试）", kind="exclusion", jurisdiction=tree.township_a1,
                                person=device.person, geometry=square(30.1, 120.1, 0.0005))  # fmt: skip
    assert pass_zones_of(bar)[0][0] == 50.0
    assert pass_zones_of(kiosk)[0][0] == pytest.approx(0.6 * 48.2, abs=0.5)
