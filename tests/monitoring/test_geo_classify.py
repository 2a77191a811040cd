"""Classifying fixes against zones, checked against geodesic truth built with geopy."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from geopy.distance import geodesic

from backend.monitoring.geo.classify import (
    INSIDE,
    OUTSIDE,
    UNCERTAIN,
    PreparedZone,
    classify,
    is_breach,
    segment_crosses,
    signed_distance_m,
)
from backend.monitoring.geo.shapes import Area, Circle

# An L-shaped town in Beijing, counter-clockwise, every edge along a meridian or a parallel: the
# shortest way from a point on such an edge to a point due north/south/east/west of it is that line,
# so geopy's destination gives fixes whose true distance to the boundary is known exactly.
L_TOWN = [
    (116.30, 39.90),
    (116.36, 39.90),
    (116.36, 39.93),
    (116.33, 39.93),
    (116.33, 39.96),
    (116.30, 39.96),
    (116.30, 39.90),
]
# For each edge, the bearing that leads out of the town.
OUTWARD = [180, 90, 0, 90, 0, 270]


def destination(lat: float, lon: float, bearing: float, metres: float) -> tuple[float, float]:
    point = geodesic(meters=metres).destination((lat, lon), bearing)
    return point.latitude, point.longitude


def l_town(kind: str = "inclusion", margin_m: float = 0.0) -> PreparedZone:
    area = Area({"type": "Polygon", "coordinates": [[list(p) for p in L_TOWN]]})
    return PreparedZone.from_shape(area, kind=kind, margin_m=margin_m)


def on_edge(edge: int, t: float) -> tuple[float, float]:
    (lon1, lat1), (lon2, lat2) = L_TOWN[edge], L_TOWN[edge + 1]
    return lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)


def expected(truth_m: np.ndarray, accuracy_m: float) -> np.ndarray:
    """The class the rules ask for, from the signed true distance (positive inside)."""
    return np.where(truth_m > accuracy_m, INSIDE, np.where(truth_m < -accuracy_m, OUTSIDE, UNCERTAIN))


@pytest.mark.parametrize("centre", [(31.2304, 121.4737), (45.7500, 126.6500), (18.2528, 109.5119)])
def test_circle_classification_agrees_with_geodesic_distances_from_the_centre(centre):
    zone = PreparedZone.from_shape(Circle(*centre, radius_m=500.0))
    rng = np.random.default_rng(1)
    distances = [0, 100, 300, 470, 485, 495, 505, 515, 530, 700, 2000, 90_000]
    fixes = [destination(*centre, rng.uniform(0, 360), d) for d in distances]
    lats, lons = np.array(fixes).T
    truth = np.array([500.0 - geodesic(centre, f).meters for f in fixes])
    classes = classify(zone, lats, lons, np.full(len(fixes), 20.0))
    assert classes.dtype == np.int8
    assert classes.tolist() == expected(truth, 20.0).tolist()
    assert signed_distance_m(zone, lats, lons) == pytest.approx(truth, abs=0.01)


def test_polygon_classification_agrees_with_geodesic_distances_from_the_edges():
    zone = l_town()
    fixes, truth = [], []
    for edge, outward in enumerate(OUTWARD):
        for t in (0.25, 0.5, 0.75):
            for d in (5.0, 12.0, 30.0, 100.0, 400.0):
                fixes.append(destination(*on_edge(edge, t), outward, d))
                truth.append(-d)
                fixes.append(destination(*on_edge(edge, t), (outward + 180) % 360, d))
                truth.append(d)
    lats, lons = np.array(fixes).T
    classes = classify(zone, lats, lons, np.full(len(fixes), 10.0))
    assert classes.tolist() == expected(np.array(truth), 10.0).tolist()
    assert signed_distance_m(zone, lats, lons) == pytest.approx(truth, abs=0.05)


@pytest.mark.parametrize("shape", ["circle", "polygon"])
@pytest.mark.parametrize("outside_m, accuracy_m", [(5, 10), (15, 20), (300, 500), (900, 1000), (39, 40)])
def test_a_fix_whose_accuracy_circle_straddles_the_boundary_is_uncertain_never_outside(
    shape, outside_m, accuracy_m
):
    if shape == "circle":
        zone = PreparedZone.from_shape(Circle(31.2304, 121.4737, 2000.0))
        fix = destination(31.2304, 121.4737, 33, 2000.0 + outside_m)
    else:
        zone = l_town()
        fix = destination(*on_edge(1, 0.5), OUTWARD[1], outside_m)
    assert classify(zone, [fix[0]], [fix[1]], [accuracy_m]).tolist() == [UNCERTAIN]


def test_gps_jitter_of_ten_metres_along_a_boundary_with_fifteen_metre_accuracy_never_reads_outside():
    rng = np.random.default_rng(10)
    circle = PreparedZone.from_shape(Circle(31.2304, 121.4737, 300.0))
    on_circle = [destination(31.2304, 121.4737, b, 300.0) for b in rng.uniform(0, 360, 400)]
    on_polygon = [
        on_edge(int(e), t) for e, t in zip(rng.integers(0, 6, 800), rng.uniform(0, 1, 800), strict=True)
    ]
    on_polygon += [(lat, lon) for lon, lat in L_TOWN]  # the corners too
    for zone, boundary in ((circle, on_circle), (l_town(), on_polygon)):
        jittered = [destination(lat, lon, rng.uniform(0, 360), rng.uniform(0, 10)) for lat, lon in boundary]
        lats, lons = np.array(jittered).T
        classes = classify(zone, lats, lons, np.full(len(jittered), 15.0))
        assert OUTSIDE not in classes
        assert INSIDE not in classes  # nor confidently inside: every one of them is within 10 m of the edge


def test_a_missing_accuracy_is_taken_as_the_configured_default():
    zone = l_town()
    lat, lon = destination(*on_edge(1, 0.5), OUTWARD[1], 30.0)
    assert classify(zone, [lat], [lon], [np.nan]).tolist() == [UNCERTAIN]  # default 50 m
    assert classify(zone, [lat], [lon], None, default_accuracy_m=20.0).tolist() == [OUTSIDE]
    assert classify(zone, [lat], [lon], [-1.0], default_accuracy_m=20.0).tolist() == [OUTSIDE]


def test_the_zone_margin_widens_the_uncertain_band_and_missing_coordinates_are_uncertain():
    lat, lon = destination(*on_edge(1, 0.5), OUTWARD[1], 30.0)
    assert classify(l_town(margin_m=0), [lat], [lon], [10.0]).tolist() == [OUTSIDE]
    assert classify(l_town(margin_m=50), [lat], [lon], [10.0]).tolist() == [UNCERTAIN]
    circle = PreparedZone.from_shape(Circle(31.2304, 121.4737, 300.0), margin_m=50)
    assert classify(circle, [np.nan, 31.2304], [121.4737, np.nan], [10.0, 10.0]).tolist() == [UNCERTAIN] * 2
    assert classify(l_town(), [np.nan], [116.33], [10.0]).tolist() == [UNCERTAIN]
    assert classify(l_town(), [39.915], [116.31], [np.inf]).tolist() == [UNCERTAIN]


def test_a_breach_is_outside_an_inclusion_zone_and_inside_an_exclusion_zone():
    classes = np.array([INSIDE, OUTSIDE, UNCERTAIN], dtype=np.int8)
    assert is_breach(l_town("inclusion"), classes).tolist() == [False, True, False]
    assert is_breach(l_town("exclusion"), classes).tolist() == [True, False, False]


def county_zone() -> tuple[PreparedZone, np.ndarray, np.ndarray, np.ndarray]:
    """A county-sized zone of 240 vertices and 100,000 fixes scattered over and around it."""
    rng = np.random.default_rng(3)
    angles = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    radius = 0.2 * (1 + 0.25 * np.sin(5 * angles) + 0.05 * rng.uniform(-1, 1, angles.size))
    ring = np.column_stack([113.0 + radius * np.cos(angles), 28.0 + radius * np.sin(angles)]).tolist()
    zone = PreparedZone.from_shape(Area({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}))
    n = 100_000
    lats, lons = rng.uniform(27.7, 28.3, n), rng.uniform(112.7, 113.3, n)
    accuracies = rng.choice([8.0, 15.0, 60.0, 400.0, np.nan], n)
    return zone, lats, lons, accuracies


def test_one_hundred_thousand_fixes_against_a_county_polygon_take_under_half_a_second():
    zone, lats, lons, accuracies = county_zone()
    classify(zone, lats[:100], lons[:100], accuracies[:100])  # warm-up
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        classes = classify(zone, lats, lons, accuracies)
        best = min(best, time.perf_counter() - started)
    assert best < 0.5, f"{best:.3f} s"
    assert {int(c) for c in np.unique(classes)} == {-1, 0, 1}


def test_ten_thousand_fixes_are_classified_in_one_call_without_a_python_loop_per_fix():
    zone, lats, lons, accuracies = county_zone()

    def calls_while_classifying(n: int) -> int:
        calls = 0

        def count(frame, event, arg):
            nonlocal calls
            calls += event in ("call", "c_call")

        sys.setprofile(count)
        try:
            classify(zone, lats[:n], lons[:n], accuracies[:n])
        finally:
            sys.setprofile(None)
        return calls

    few, many = calls_while_classifying(10), calls_while_classifying(10_000)
    assert many < few + 100, (few, many)


def test_a_segment_between_two_outside_fixes_through_an_exclusion_zone_is_detected_and_one_beside_it_is_not():
    school = (31.2304, 121.4737)
    circle = PreparedZone.from_shape(Circle(*school, 200.0), kind="exclusion")
    square = PreparedZone.from_shape(
        Area(
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [121.472, 31.229],
                        [121.475, 31.229],
                        [121.475, 31.232],
                        [121.472, 31.232],
                        [121.472, 31.229],
                    ]
                ],
            }
        ),
        kind="exclusion",
    )
    west, east = destination(*school, 270, 1000), destination(*school, 90, 1000)
    south_west, north_east = destination(*school, 225, 1000), destination(*school, 45, 1000)
    north = destination(*school, 0, 600)
    west_n, east_n = destination(*north, 270, 1000), destination(*north, 90, 1000)
    starts, ends = np.array([west, west_n, south_west]), np.array([east, east_n, north_east])
    for zone in (circle, square):
        every_fix = np.vstack([starts, ends])
        assert (classify(zone, every_fix[:, 0], every_fix[:, 1], 10.0) == OUTSIDE).all()
        crossed = segment_crosses(zone, starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1])
        assert crossed.tolist() == [True, False, True]


def test_a_segment_must_reach_past_the_margin_and_degenerate_pairs_are_handled():
    school = (31.2304, 121.4737)
    south = destination(*school, 180, 150)  # the path runs 150 m from the centre: 50 m inside
    a, b = destination(*south, 270, 1000), destination(*south, 90, 1000)
    for margin, crosses in ((0.0, True), (40.0, True), (60.0, False)):
        zone = PreparedZone.from_shape(Circle(*school, 200.0), kind="exclusion", margin_m=margin)
        assert segment_crosses(zone, [a[0]], [a[1]], [b[0]], [b[1]]).tolist() == [crosses]
    polygon = l_town("exclusion")
    inside, outside = (39.915, 116.31), (39.97, 116.40)
    lat1 = [inside[0], outside[0], np.nan]
    lon1 = [inside[1], outside[1], 116.31]
    assert segment_crosses(polygon, lat1, lon1, lat1, lon1).tolist() == [True, False, False]


def test_a_path_that_only_touches_a_corner_of_the_zone_does_not_pass_through_it():
    zone = l_town("exclusion")
    corner = (39.90, 116.36)  # the south-east corner, a vertex of the zone
    lat2, lon2 = [39.89, 39.915], [116.37, 116.31]  # away to the south-east; into the town
    crossed = segment_crosses(zone, [corner[0]] * 2, [corner[1]] * 2, lat2, lon2)
    assert crossed.tolist() == [False, True]


def test_a_large_batch_settled_by_the_band_shortcut_classifies_every_fix_as_one_at_a_time_would():
    zone, lats, lons, accuracies = county_zone()
    lats, lons, accuracies = lats[:20_000], lons[:20_000], accuracies[:20_000]
    one_by_one = np.concatenate(
        [
            classify(zone, lats[i : i + 100], lons[i : i + 100], accuracies[i : i + 100])
            for i in range(0, 20_000, 100)
        ]
    )
    assert np.array_equal(classify(zone, lats, lons, accuracies), one_by_one)
    town = l_town(margin_m=25)
    rng = np.random.default_rng(8)
    lats, lons = rng.uniform(39.89, 39.97, 5_000), rng.uniform(116.29, 116.37, 5_000)
    # Most fixes at an accuracy that puts their threshold (accuracy + margin) right at a band's width.
    accuracies = np.where(rng.uniform(size=5_000) < 0.8, 999.0, rng.uniform(0, 900, 5_000))
    singly = np.array(
        [classify(town, [a], [o], [c])[0] for a, o, c in zip(lats, lons, accuracies, strict=True)]
    )
    assert np.array_equal(classify(town, lats, lons, accuracies), singly)
