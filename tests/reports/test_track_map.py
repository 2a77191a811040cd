"""The track map: a local projection good to well under 1 % at county scale, zones of every shape, thinning."""

from __future__ import annotations

import math

from reportlab.graphics.shapes import Circle, Polygon, PolyLine, String

from backend.reports.trackmap import EARTH_RADIUS_M, MAX_DRAWN_FIXES, MapZone, Projection, track_map

SQUARE = {"type": "Polygon", "coordinates": [[[121.40, 31.20], [121.45, 31.20], [121.45, 31.25], [121.40, 31.25], [121.40, 31.20]]]}  # fmt: skip


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def test_the_projection_keeps_county_distances_within_half_a_percent():
    proj = Projection(31.2, 121.5)
    for a, b in [
        ((31.2, 121.5), (31.3, 121.6)),
        ((31.15, 121.42), (31.25, 121.58)),
        ((31.2, 121.45), (31.2, 121.55)),
    ]:
        (x1, y1), (x2, y2) = proj.xy(*a), proj.xy(*b)
        assert abs(math.hypot(x2 - x1, y2 - y1) / haversine(a, b) - 1) < 0.005


def shapes(drawing, kind):
    return [s for s in drawing.contents if isinstance(s, kind)]


def test_inclusion_and_exclusion_zones_of_every_shape_and_the_track_are_drawn():
    zones = [
        MapZone("县界", "inclusion", SQUARE),
        MapZone("学校", "exclusion", {"type": "circle", "lat": 31.22, "lon": 121.42, "radius_m": 300}),
        MapZone("网吧", "exclusion", {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}),
    ]
    fixes = [(31.21 + i * 0.001, 121.41 + i * 0.001) for i in range(20)]
    drawing = track_map(zones, fixes, width=400, height=300)
    assert len(shapes(drawing, PolyLine)) == 1
    assert sum(1 for p in shapes(drawing, Polygon) if len(p.points) == 10) == 2  # both square rings
    texts = {s.text for s in shapes(drawing, String)}
    assert {"县界", "学校", "网吧", "起", "止", "北"} <= texts
    assert any(t.endswith("公里") or t.endswith("米") for t in texts)
    # Every fix lies inside the frame.
    dots = [c for c in shapes(drawing, Circle) if c.r < 2]
    assert len(dots) == 20 and all(0 <= c.cx <= 400 and 0 <= c.cy <= 300 for c in dots)


def test_a_long_track_is_thinned_for_drawing_but_keeps_its_last_fix():
    fixes = [(31.2 + i * 1e-6, 121.4 + i * 1e-6) for i in range(3 * MAX_DRAWN_FIXES + 7)]
    drawing = track_map([], fixes, width=400, height=300)
    dots = [c for c in shapes(drawing, Circle) if c.r < 2]
    assert len(dots) <= MAX_DRAWN_FIXES + 1
    line = shapes(drawing, PolyLine)[0]
    last = line.points[-2:]  # the polyline ends where the last fix is drawn
    assert math.isclose(last[0], dots[-1].cx) and math.isclose(last[1], dots[-1].cy)


def test_an_empty_period_says_so():
    drawing = track_map([], [], width=400, height=300)
    assert "所选时段内无定位数据，亦无适用区域" in {s.text for s in shapes(drawing, String)}
