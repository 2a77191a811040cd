"""Zone shapes: what is refused and why (in Chinese), and how far the local projection may be trusted."""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import pytest
from geopy.distance import geodesic

from backend.monitoring.geo.shapes import (
    Area,
    Circle,
    GeometryError,
    LocalProjection,
    validate_geojson,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def polygon(*rings: list[tuple[float, float]]) -> dict:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in rings]}


def box(lon1: float, lat1: float, lon2: float, lat2: float) -> list[tuple[float, float]]:
    return [(lon1, lat1), (lon2, lat1), (lon2, lat2), (lon1, lat2), (lon1, lat1)]


def ring_around(lon: float, lat: float, n: int, radius_deg: float = 0.01) -> list[tuple[float, float]]:
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    points = [(lon + radius_deg * math.cos(a), lat + radius_deg * math.sin(a)) for a in angles]
    return [*points, points[0]]


def destination(lat: float, lon: float, bearing: float, metres: float) -> tuple[float, float]:
    point = geodesic(meters=metres).destination((lat, lon), bearing)
    return point.latitude, point.longitude


TOWN = box(116.30, 39.90, 116.36, 39.93)  # about 5 km by 3 km in Beijing

REFUSALS = {
    "wrong_type": ({"type": "Point", "coordinates": [116.3, 39.9]}, "wrong_type"),
    "feature_instead_of_geometry": ({"type": "Feature", "geometry": polygon(TOWN)}, "wrong_type"),
    "not_a_mapping": ("POLYGON((116.3 39.9, 116.4 39.9, 116.4 40, 116.3 39.9))", "wrong_type"),
    "no_rings": ({"type": "Polygon", "coordinates": []}, "malformed_coordinates"),
    "numbers_as_strings": (polygon([(str(x), str(y)) for x, y in TOWN]), "malformed_coordinates"),
    "booleans_as_numbers": (polygon([(True, False), *TOWN[1:]]), "malformed_coordinates"),
    "ring_of_three": (polygon([(116.30, 39.90), (116.36, 39.90), (116.30, 39.90)]), "ring_too_short"),
    "ring_not_closed": (polygon([*TOWN[:-1], (116.31, 39.90)]), "ring_not_closed"),
    "latitude_out_of_range": (polygon(box(116.30, 89.0, 116.36, 95.0)), "coordinate_out_of_range"),
    "longitude_out_of_range": (polygon(box(179.0, 39.9, 181.0, 39.95)), "coordinate_out_of_range"),
    "not_a_number": (polygon([(116.30, math.nan), *TOWN[1:]]), "coordinate_not_finite"),
    "infinite": (polygon([(math.inf, 39.90), *TOWN[1:]]), "coordinate_not_finite"),
    "bow_tie": (
        polygon([(116.30, 39.90), (116.36, 39.93), (116.36, 39.90), (116.30, 39.93), (116.30, 39.90)]),
        "invalid_geometry",
    ),
    "overlapping_parts": (
        {
            "type": "MultiPolygon",
            "coordinates": [
                polygon(TOWN)["coordinates"],
                polygon(box(116.33, 39.91, 116.40, 39.95))["coordinates"],
            ],
        },
        "invalid_geometry",
    ),
    "too_many_vertices": (polygon(ring_around(116.33, 39.91, 10_000)), "too_many_vertices"),
    "area_too_small": (polygon(box(116.30, 39.90, 116.30005, 39.90005)), "area_too_small"),
    "area_too_large": (polygon(box(110.0, 33.0, 113.0, 36.0)), "area_too_large"),
    "hole_outside_shell": (polygon(TOWN, box(116.40, 39.90, 116.41, 39.91)), "hole_outside_shell"),
    "hole_across_shell": (polygon(TOWN, box(116.35, 39.91, 116.38, 39.92)), "hole_outside_shell"),
    "wider_than_the_projection_allows": (polygon(box(100.0, 30.0, 112.0, 30.01)), "extent_too_large"),
}


@pytest.mark.parametrize("geojson, code", REFUSALS.values(), ids=REFUSALS.keys())
def test_every_refused_geojson_says_why_in_chinese_and_changes_nothing(geojson, code):
    before = json.dumps(geojson)
    with pytest.raises(GeometryError) as refused:
        validate_geojson(geojson)
    assert refused.value.details["code"] == code
    assert CJK.search(refused.value.message_zh) and str(refused.value) == refused.value.message_zh
    assert isinstance(refused.value, ValueError)
    assert json.dumps(geojson) == before
    with pytest.raises(GeometryError):
        Area(geojson)
    assert json.dumps(geojson) == before


def test_a_self_intersection_refusal_carries_the_reason_from_geos():
    with pytest.raises(GeometryError) as refused:
        validate_geojson(REFUSALS["bow_tie"][0])
    assert "Self-intersection" in refused.value.details["reason"]


def test_a_polygon_with_a_hole_a_multipolygon_and_an_altitude_are_accepted():
    with_hole = polygon(TOWN, box(116.32, 39.91, 116.33, 39.92))
    assert validate_geojson(with_hole).area == pytest.approx(0.06 * 0.03 - 0.01 * 0.01)
    two_parts = {
        "type": "MultiPolygon",
        "coordinates": [
            polygon(TOWN)["coordinates"],
            polygon(box(116.40, 39.90, 116.41, 39.91))["coordinates"],
        ],
    }
    assert validate_geojson(two_parts).geom_type == "MultiPolygon"
    with_altitude = polygon([(x, y, 50.0) for x, y in TOWN])
    assert validate_geojson(with_altitude).equals(validate_geojson(polygon(TOWN)))


def test_the_area_limits_are_measured_in_square_metres_on_the_ground():
    side_for = {99.0: False, 101.0: True}
    for square_m, accepted in side_for.items():
        north = destination(39.9, 116.3, 0, math.sqrt(square_m))
        east = destination(39.9, 116.3, 90, math.sqrt(square_m))
        geojson = polygon(box(116.3, 39.9, east[1], north[0]))
        if accepted:
            assert Area(geojson).projected.area == pytest.approx(square_m, rel=1e-3)
        else:
            with pytest.raises(GeometryError):
                Area(geojson)


def test_an_area_keeps_its_own_copy_of_the_geojson():
    geojson = polygon(TOWN)
    area = Area(geojson)
    geojson["coordinates"][0][0][0] = 0.0
    assert area.geojson["coordinates"][0][0][0] == 116.30
    assert area.centre == pytest.approx((39.915, 116.33))


@pytest.mark.parametrize("radius_m", [20.0, 500, 100_000.0])
def test_a_circle_between_20_m_and_100_km_is_accepted(radius_m):
    assert Circle(31.23, 121.47, radius_m).projection == LocalProjection(31.23, 121.47)


@pytest.mark.parametrize(
    "lat, lon, radius_m, code",
    [
        (31.23, 121.47, 19.9, "radius_out_of_range"),
        (31.23, 121.47, 100_001, "radius_out_of_range"),
        (31.23, 121.47, math.nan, "radius_out_of_range"),
        (91.0, 121.47, 500, "centre_out_of_range"),
        (31.23, math.inf, 500, "centre_out_of_range"),
    ],
)
def test_a_circle_out_of_limits_is_refused_in_chinese(lat, lon, radius_m, code):
    with pytest.raises(GeometryError) as refused:
        Circle(lat, lon, radius_m)
    assert refused.value.details["code"] == code and CJK.search(refused.value.message_zh)


def test_projected_distances_within_100_km_are_within_half_a_percent_of_the_geodesic():
    rng = np.random.default_rng(20240603)
    worst = 0.0
    for _ in range(600):
        lat0, lon0 = rng.uniform(18, 53), rng.uniform(73, 135)
        a, b = (destination(lat0, lon0, rng.uniform(0, 360), rng.uniform(0, 100_000)) for _ in range(2))
        x, y = LocalProjection(lat0, lon0).forward([a[0], b[0]], [a[1], b[1]])
        truth = geodesic(a, b).meters
        if truth > 1.0:
            worst = max(worst, abs(math.hypot(x[1] - x[0], y[1] - y[0]) - truth) / truth)
    assert worst < 0.005
    assert worst < 1e-4  # what the projection actually achieves; a regression shows here first


def test_distances_from_the_projection_centre_are_exact_to_a_centimetre():
    rng = np.random.default_rng(5)
    lat0, lon0 = 45.75, 126.65  # Harbin, where an equirectangular projection would be worst
    points = [destination(lat0, lon0, rng.uniform(0, 360), rng.uniform(0, 100_000)) for _ in range(200)]
    lats, lons = np.array(points).T
    x, y = LocalProjection(lat0, lon0).forward(lats, lons)
    truth = np.array([geodesic((lat0, lon0), p).meters for p in points])
    assert np.abs(np.hypot(x, y) - truth).max() < 0.01


def test_the_projection_passes_missing_coordinates_through_and_survives_the_antipode():
    x, y = LocalProjection(30.0, 114.0).forward([np.nan, -30.0, 30.0], [114.0, -66.0, 114.0])
    assert np.isnan(x[0]) and np.isnan(y[0])
    assert math.hypot(x[1], y[1]) > 19_000_000
    assert (x[2], y[2]) == (0.0, 0.0)


def test_validation_does_not_touch_a_deeply_nested_input():
    geojson = polygon(TOWN, box(116.32, 39.91, 116.33, 39.92))
    snapshot = copy.deepcopy(geojson)
    validate_geojson(geojson)
    assert geojson == snapshot
