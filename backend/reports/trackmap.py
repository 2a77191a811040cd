"""The track map of a person file: zones and fixes drawn with reportlab graphics, no map tiles.

Coordinates are WGS-84 as stored; they are drawn in a local equirectangular projection centred on what is
shown (x = R·Δλ·cos φ₀, y = R·Δφ), which at county scale (< 100 km) distorts distances by well under 1 % —
enough for a printed sketch with a scale bar.  No GCJ-02 shift: there is no base map to align with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from backend.monitoring.geo.shapes import Corridor, GeometryError
from backend.reports.fonts import font_name

EARTH_RADIUS_M = 6_371_008.8
INCLUSION = (colors.HexColor("#2e7d32"), colors.Color(0.18, 0.49, 0.2, alpha=0.12))
EXCLUSION = (colors.HexColor("#b71c1c"), colors.Color(0.72, 0.11, 0.11, alpha=0.15))
TRACK = colors.HexColor("#1f4e8c")
MAX_DRAWN_FIXES = 4000  # a month of 1-minute fixes is 43,000 dots: drawn thinned, counted in full


@dataclass(frozen=True)
class MapZone:
    name: str
    kind: str  # inclusion / exclusion
    geometry: dict


@dataclass(frozen=True)
class Projection:
    lat0: float
    lon0: float

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        k = math.pi / 180 * EARTH_RADIUS_M
        return (lon - self.lon0) * k * math.cos(math.radians(self.lat0)), (lat - self.lat0) * k


def _rings(geometry: dict) -> list[list[tuple[float, float]]]:
    """Outer and inner rings as (lat, lon) lists; GeoJSON stores [lon, lat].  A corridor is drawn as the area
    judged: its route buffered by its width (shapes.Corridor.outline)."""
    if geometry.get("type") == "corridor":
        try:
            geometry = Corridor(geometry).outline()
        except GeometryError:
            return []
    kind = geometry.get("type")
    polygons = (
        [geometry["coordinates"]]
        if kind == "Polygon"
        else geometry.get("coordinates", [])
        if kind == "MultiPolygon"
        else []
    )
    return [[(lat, lon) for lon, lat, *_ in ring] for polygon in polygons for ring in polygon]


def _extent(zones: Sequence[MapZone], fixes: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    points = list(fixes)
    for zone in zones:
        g = zone.geometry
        if g.get("type") == "circle":
            dlat = g["radius_m"] / EARTH_RADIUS_M * 180 / math.pi
            dlon = dlat / max(math.cos(math.radians(g["lat"])), 0.01)
            points += [(g["lat"] - dlat, g["lon"] - dlon), (g["lat"] + dlat, g["lon"] + dlon)]
        else:
            points += [p for ring in _rings(g) for p in ring]
    return points


def _nice_distance(metres: float) -> float:
    for step in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000):
        if step >= metres:
            return step
    return 100_000


def track_map(
    zones: Sequence[MapZone], fixes: Sequence[tuple[float, float]], *, width: float, height: float
) -> Drawing:
    """``fixes`` are (lat, lon) in time order."""
    font = font_name()
    drawing = Drawing(width, height)
    drawing.add(
        Rect(
            0,
            0,
            width,
            height,
            strokeColor=colors.grey,
            fillColor=colors.HexColor("#fbfbf8"),
            strokeWidth=0.6,
        )
    )
    points = _extent(zones, fixes)
    if not points:
        drawing.add(String(width / 2, height / 2, "所选时段内无定位数据，亦无适用区域", fontName=font, fontSize=10,
                           textAnchor="middle", fillColor=colors.grey))  # fmt: skip
        return drawing
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    proj = Projection((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2)
    xy = [proj.xy(lat, lon) for lat, lon in points]
    span_x = max(max(x for x, _ in xy) - min(x for x, _ in xy), 200.0)
    span_y = max(max(y for _, y in xy) - min(y for _, y in xy), 200.0)
    pad = 22
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)  # points per metre

    def at(lat: float, lon: float) -> tuple[float, float]:
        x, y = proj.xy(lat, lon)
        return width / 2 + x * scale, height / 2 + y * scale

    for zone in zones:
        stroke, fill = INCLUSION if zone.kind == "inclusion" else EXCLUSION
        g = zone.geometry
        if g.get("type") == "circle":
            cx, cy = at(g["lat"], g["lon"])
            drawing.add(
                Circle(cx, cy, g["radius_m"] * scale, strokeColor=stroke, fillColor=fill, strokeWidth=1.2)
            )
            label_at = (cx, cy + g["radius_m"] * scale + 3)
        else:
            rings = _rings(g)
            for ring in rings:
                flat = [c for lat, lon in ring for c in at(lat, lon)]
                drawing.add(Polygon(flat, strokeColor=stroke, fillColor=fill, strokeWidth=1.2))
            top = max(rings[0], key=lambda p: p[0]) if rings else (proj.lat0, proj.lon0)
            label_at = at(*top)
            label_at = (label_at[0], label_at[1] + 3)
        drawing.add(
            String(*label_at, zone.name, fontName=font, fontSize=7, fillColor=stroke, textAnchor="middle")
        )

    if fixes:
        step = max(1, math.ceil(len(fixes) / MAX_DRAWN_FIXES))
        shown = list(fixes[::step])
        if shown[-1] != fixes[-1]:
            shown.append(fixes[-1])
        flat = [c for lat, lon in shown for c in at(lat, lon)]
        if len(shown) > 1:
            drawing.add(PolyLine(flat, strokeColor=TRACK, strokeWidth=0.8))
        for lat, lon in shown:
            x, y = at(lat, lon)
            drawing.add(Circle(x, y, 1.1, strokeColor=None, fillColor=TRACK))
        for (lat, lon), text, colour in ((shown[0], "起", INCLUSION[0]), (shown[-1], "止", EXCLUSION[0])):
            x, y = at(lat, lon)
            drawing.add(Circle(x, y, 4, strokeColor=colors.white, fillColor=colour, strokeWidth=0.8))
            drawing.add(String(x + 5, y + 3, text, fontName=font, fontSize=8, fillColor=colour))

    # Scale bar (bottom left) and north arrow (top right).
    metres = _nice_distance((width / 4) / scale)
    length = metres * scale
    drawing.add(Line(10, 10, 10 + length, 10, strokeColor=colors.black, strokeWidth=1.5))
    for x in (10, 10 + length):
        drawing.add(Line(x, 7, x, 13, strokeColor=colors.black, strokeWidth=1))
    label = f"{metres / 1000:g} 公里" if metres >= 1000 else f"{metres:g} 米"
    drawing.add(String(14 + length, 7, label, fontName=font, fontSize=7))
    nx, ny = width - 16, height - 30
    drawing.add(Polygon([nx, ny + 18, nx - 5, ny, nx + 5, ny], fillColor=colors.black, strokeColor=None))
    drawing.add(String(nx, ny - 9, "北", fontName=font, fontSize=8, textAnchor="middle"))
    return drawing
