"""Corridor zones (走廊: keep within width_m of a route): judged as a polygon — the route buffered once in the
local projection — so fixes inside and outside, at a bend and at the ends agree with geodesic distances to
the route; degenerate routes and widths are refused in Chinese."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import shapely
from geopy.distance import geodesic

from backend.monitoring.geo.classify import INSIDE, OUTSIDE, UNCERTAIN, PreparedZone, classify
from backend.monitoring.geo.shapes import MAX_VERTICES, Corridor, GeometryError, LocalProjection
from backend.monitoring.zone_watch import deepest_m, margin_of, shape_of

CJK = re.compile(r"[\u4e00-\u9fff]")
# An L-shaped route in Hangzhou: 2 km east, then 1.5 km north; the corridor is 100 m either side.
START = (30.25, 120.15)


def destination(lat: float, lon: float, bearing: float, metres: float) -> tuple[float, float]:
    point = geodesic(meters=metres).destination((lat, lon), bearing)
    return point.latitude, point.longitude


BEND = destination(*START, 90, 2000)
END = destination(*BEND, 0, 1500)
ROUTE = {"type": "corridor", "line": [[p[1], p[0]] for p in (START, BEND, END)], "width_m": 100}


def prepared(kind: str = "inclusion", margin_m: float = 0.0) -> PreparedZone:
    return PreparedZone.from_shape(Corridor(ROUTE), kind=kind, margin_m=margin_m)


def judge(points: list[tuple[float, float]], accuracy_m: float = 5.0) -> list[int]:
    lats, lons = np.array(points).T
    return classify(prepared(), lats, lons, np.full(len(points), accuracy_m)).tolist()


def test_a_fix_on_the_route_or_near_it_is_inside_and_one_beyond_the_width_is_outside():
    middle = destination(*START, 90, 1000)
    assert judge([middle, destination(*middle, 0, 60), destination(*middle, 180, 60)]) == [INSIDE] * 3
    assert judge([destination(*middle, 0, 150), destination(*middle, 180, 150)]) == [OUTSIDE] * 2
    # 100 m ± 5 m of accuracy: neither side can be told
    assert judge([destination(*middle, 0, 100)]) == [UNCERTAIN]


def test_at_the_bend_and_past_the_ends_the_corridor_is_round_as_the_distance_to_the_route():
    outer = destination(*BEND, 135, 90)  # outside the corner, 90 m from the bend point itself
    far_outer = destination(*BEND, 135, 115)
    inner = destination(*BEND, 315, 300)  # inside the L, 300 m from both legs: outside
    beyond_end = destination(*END, 0, 80)
    past_start = destination(*START, 270, 130)
    assert judge([outer, far_outer, inner, beyond_end, past_start]) == [
        INSIDE, OUTSIDE, OUTSIDE, INSIDE, OUTSIDE,
    ]  # fmt: skip


def test_classification_agrees_with_geodesic_distances_to_the_route():
    rng = np.random.default_rng(11)
    legs = [(START, 90, 2000), (BEND, 0, 1500)]
    points, truth = [], []
    for _ in range(300):
        origin, bearing, length = legs[rng.integers(2)]
        along = destination(*origin, bearing, rng.uniform(0, length))
        side = rng.uniform(-300, 300)
        points.append(destination(*along, bearing + 90, side))
        truth.append(abs(side))
    lats, lons = np.array(points).T
    got = classify(prepared(), lats, lons, np.full(len(points), 2.0))
    truth = np.array(truth)
    # near a leg's end the other leg may be closer than the perpendicular: judge only the clear cases
    clear = np.abs(truth - 100) > 5
    expected = np.where(truth < 100, INSIDE, OUTSIDE)
    mismatched = (got != expected) & clear & (got != UNCERTAIN)
    inner_corner = np.array([geodesic(p, BEND).meters < 320 for p in points])
    assert not np.any(mismatched & ~inner_corner)


def test_a_corridor_is_judged_as_wide_as_the_geodesic_says_within_a_decimetre():
    zone = Corridor(ROUTE)
    # two stadiums 2w × leg + πw², overlapping in the disk at the bend and the inner corner's w² (1 − π/4)
    w = 100
    assert zone.projected.area == pytest.approx(
        2 * w * 3500 + math.pi * w**2 - w**2 * (1 - math.pi / 4), rel=1e-4
    )
    middle = destination(*START, 90, 1000)
    x, y = zone.projection.forward(*np.array([destination(*middle, 0, 99.9)]).T)
    assert zone.projected.exterior.distance(shapely.Point(x[0], y[0])) < 0.2


def test_the_zone_watch_reads_a_stored_corridor_and_its_defaults_follow_its_width():
    shape = shape_of(ROUTE)
    assert isinstance(shape, Corridor) and shape.width_m == 100
    assert deepest_m(shape) == 100

    class Stored:
        margin_m = None
        kind = "inclusion"

    assert margin_of(Stored, shape) == 25.0  # a quarter of the width, not of √(area/π) ≈ 480 m


def test_a_route_that_crosses_itself_is_one_corridor():
    loop = [[120.15, 30.25], [120.17, 30.25], [120.17, 30.26], [120.16, 30.24]]
    zone = Corridor({"type": "corridor", "line": loop, "width_m": 50})
    assert zone.projected.geom_type == "Polygon" and zone.projected.is_valid


def test_the_outline_is_the_judged_polygon_back_in_degrees():
    zone = Corridor(ROUTE)
    ring = np.array(zone.outline()["coordinates"][0])
    x, y = zone.projection.forward(ring[:, 1], ring[:, 0])
    original = np.array(zone.projected.exterior.coords)
    assert np.abs(np.column_stack([x, y]) - original).max() < 0.05  # 7 decimals: about a centimetre


def test_the_inverse_projection_gives_back_what_the_forward_one_made():
    rng = np.random.default_rng(3)
    projection = LocalProjection(45.75, 126.65)
    xs, ys = rng.uniform(-300_000, 300_000, 500), rng.uniform(-300_000, 300_000, 500)
    lats, lons = projection.inverse(xs, ys)
    x2, y2 = projection.forward(lats, lons)
    assert np.abs(x2 - xs).max() < 1e-3 and np.abs(y2 - ys).max() < 1e-3


def corridor(line, width=50.0) -> dict:
    return {"type": "corridor", "line": line, "width_m": width}


REFUSALS = {
    "one_point": (corridor([[120.15, 30.25]]), "line_too_short"),
    "the_same_point_twice": (corridor([[120.15, 30.25], [120.15, 30.25]]), "line_too_short"),
    "no_points": (corridor([]), "line_too_short"),
    "shorter_than_ten_metres": (corridor([[120.15, 30.25], [120.15005, 30.25]]), "line_too_short"),
    "width_zero": (corridor([[120.15, 30.25], [120.16, 30.25]], 0), "width_out_of_range"),
    "width_negative": (corridor([[120.15, 30.25], [120.16, 30.25]], -50), "width_out_of_range"),
    "width_nan": (corridor([[120.15, 30.25], [120.16, 30.25]], math.nan), "width_out_of_range"),
    "width_as_text": (corridor([[120.15, 30.25], [120.16, 30.25]], "50"), "width_out_of_range"),
    "width_beyond_the_hard_limit": (corridor([[120.15, 30.25], [120.16, 30.25]], 50_001), "width_out_of_range"),
    "latitude_91": (corridor([[120.15, 91.0], [120.16, 30.25]]), "coordinate_out_of_range"),
    "infinite": (corridor([[math.inf, 30.25], [120.16, 30.25]]), "coordinate_not_finite"),
    "text_coordinates": (corridor([["120.15", "30.25"], [120.16, 30.25]]), "malformed_corridor"),
    "line_not_a_list": (corridor("LINESTRING(120 30, 121 30)"), "malformed_corridor"),
    "no_line": ({"type": "corridor", "width_m": 50}, "malformed_corridor"),
    "too_many_vertices": (
        corridor([[120.15 + i * 1e-5, 30.25] for i in range(MAX_VERTICES + 1)]), "too_many_vertices",
    ),
    "longer_than_the_projection_allows": (corridor([[100.0, 30.0], [112.0, 30.0]]), "extent_too_large"),
}  # fmt: skip


@pytest.mark.parametrize("geometry, code", REFUSALS.values(), ids=REFUSALS.keys())
def test_every_refused_corridor_says_why_in_chinese(geometry, code):
    with pytest.raises(GeometryError) as refused:
        Corridor(geometry)
    assert refused.value.details["code"] == code and CJK.search(refused.value.message_zh)


def test_a_point_repeated_by_a_double_click_is_dropped_not_refused():
    zone = Corridor(corridor([[120.15, 30.25], [120.16, 30.25], [120.16, 30.25]]))
    assert zone.geojson["line"] == [[120.15, 30.25], [120.16, 30.25]]


def test_the_person_files_track_map_draws_a_corridor_as_the_area_judged():
    from reportlab.graphics.shapes import Polygon

    from backend.reports.trackmap import MapZone, track_map

    drawing = track_map([MapZone("上班路线", "inclusion", ROUTE)], [START], width=400, height=300)
    outlines = [s for s in drawing.contents if isinstance(s, Polygon) and len(s.points) > 100]
    assert len(outlines) == 1  # (besides the north arrow) round ends and a bend: many vertices
