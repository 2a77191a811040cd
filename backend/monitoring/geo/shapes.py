"""Zone shapes (电子围栏的形状), their validation, and the local projection every zone is judged in.

GeoJSON positions are [lon, lat] (RFC 7946); everything else in this package takes latitude first.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.validation import explain_validity

MIN_RADIUS_M = 20.0
MAX_RADIUS_M = 100_000.0
MAX_VERTICES = 10_000
MIN_AREA_M2 = 100.0
MAX_AREA_M2 = 50_000e6
# Beyond this the projection's transverse scale error passes 0.1 %; a wider zone should be several zones.
MAX_EXTENT_M = 500_000.0
# RFC 7946 edges are straight in lon/lat; densifying to ~500 m keeps them so after projection (< 1 cm off).
_DENSIFY_DEG = 0.005
# A corridor (走廊: keep within width_m of a route).  Narrower than a good GNSS fix's error it could never be
# judged; the upper bound here is only a sanity limit for stored zones — what an officer may draw is capped
# lower by rules().zone_corridor_max_width_m (actions/zones.py), so a lowered rule never drops a stored zone.
MIN_CORRIDOR_WIDTH_M = 10.0
MAX_CORRIDOR_WIDTH_M = 50_000.0
MIN_CORRIDOR_LENGTH_M = 10.0
# Buffers draw their round joins and ends as chords, short of the true offset by 1 − cos(π/4·quad_segs):
# 0.012 % at 32, i.e. 0.6 m for a 5 km wide corridor.
_CORRIDOR_QUAD_SEGS = 32

_WGS84_A = 6_378_137.0
_WGS84_F = 1 / 298.257223563
_WGS84_B = _WGS84_A * (1 - _WGS84_F)
_MEAN_RADIUS_M = 6_371_008.8


class GeometryError(ValueError):
    """A zone shape the system refuses; `message_zh` is shown to the officer, `details` is for the log."""

    def __init__(self, message_zh: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.details = details or {}


@dataclass(frozen=True)
class LocalProjection:
    """Azimuthal equidistant projection on the WGS-84 ellipsoid, centred on (lat0, lon0), in metres.

    Each point's geodesic distance and azimuth from the centre (Vincenty's inverse formula, vectorised)
    become its polar coordinates, so distances from the centre are exact to the millimetre: a circular
    zone centred here is judged exactly.  Between two other points the only distortion is the transverse
    scale ρ/(R·sin(ρ/R)) ≈ 1 + ρ²/6R², i.e. 4·10⁻⁵ at 100 km from the centre and 10⁻³ at 500 km.
    An equirectangular projection about the centre was rejected: its east-west scale drifts by
    tan(φ)·Δφ, about 2 % at 53° N for 100 km of latitude, four times the 0.5 % budget.
    """

    lat0: float
    lon0: float

    def forward(self, lats: ArrayLike, lons: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Project degrees to (x east, y north) metres; NaN in gives NaN out."""
        lats_a = np.asarray(lats, dtype=np.float64)
        lons_a = np.asarray(lons, dtype=np.float64)
        distance, azimuth = _geodesic_from(self.lat0, self.lon0, lats_a, lons_a)
        return distance * np.sin(azimuth), distance * np.cos(azimuth)

    def inverse(self, xs: ArrayLike, ys: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(lat, lon) degrees of projected metres: Vincenty's direct formula from the centre, so
        ``forward(*inverse(x, y))`` gives back (x, y) to the millimetre.  For drawing what was judged in
        metres (a corridor's outline) on a map."""
        xs_a = np.asarray(xs, dtype=np.float64)
        ys_a = np.asarray(ys, dtype=np.float64)
        return _geodesic_to(self.lat0, self.lon0, np.hypot(xs_a, ys_a), np.arctan2(xs_a, ys_a))

    def project(self, geometry: shapely.Geometry) -> shapely.Geometry:
        """A lon/lat shapely geometry in this projection's metres."""

        def to_metres(lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = self.forward(lonlat[:, 1], lonlat[:, 0])
            return np.column_stack([x, y])

        return shapely.transform(geometry, to_metres)


def _geodesic_from(
    lat0: float, lon0: float, lats: NDArray[np.float64], lons: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Geodesic distance (m) and azimuth (rad) from one point to many: Vincenty's inverse formula."""
    f = _WGS84_F
    u1 = math.atan((1 - f) * math.tan(math.radians(lat0)))
    sin_u1, cos_u1 = math.sin(u1), math.cos(u1)
    u2 = np.arctan((1 - f) * np.tan(np.radians(lats)))
    sin_u2, cos_u2 = np.sin(u2), np.cos(u2)
    big_l = np.radians((lons - lon0 + 180.0) % 360.0 - 180.0)
    lam = big_l
    with np.errstate(invalid="ignore", divide="ignore"):
        for _ in range(20):  # under 100 km it converges in 3 or 4 rounds
            sin_lam, cos_lam = np.sin(lam), np.cos(lam)
            east = cos_u2 * sin_lam
            north = cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam
            sin_sigma = np.hypot(east, north)
            cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
            sigma = np.arctan2(sin_sigma, cos_sigma)
            sin_alpha = np.where(sin_sigma > 0, cos_u1 * cos_u2 * sin_lam / sin_sigma, 0.0)
            cos2_alpha = 1 - sin_alpha**2
            cos_2sm = np.where(cos2_alpha > 0, cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha, 0.0)
            c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
            lam_prev = lam
            lam = big_l + (1 - c) * f * sin_alpha * (
                sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
            )
            if not np.any(np.abs(lam - lam_prev) > 1e-12):
                break
        u_sq = cos2_alpha * (_WGS84_A**2 - _WGS84_B**2) / _WGS84_B**2
        a_coef = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
        b_coef = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
        inner = cos_sigma * (-1 + 2 * cos_2sm**2) - b_coef / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (
            -3 + 4 * cos_2sm**2
        )
        delta_sigma = b_coef * sin_sigma * (cos_2sm + b_coef / 4 * inner)
        distance = _WGS84_B * a_coef * (sigma - delta_sigma)
        azimuth = np.arctan2(east, north)
        # Vincenty fails near the antipode; such a fix is thousands of km from any zone, so a sphere will do.
        failed = ~(np.abs(lam - lam_prev) <= 1e-12) & np.isfinite(lats) & np.isfinite(lons)
        if np.any(failed):
            distance[failed], azimuth[failed] = _spherical_from(lat0, lon0, lats[failed], lons[failed])
    return distance, azimuth


def _geodesic_to(
    lat0: float, lon0: float, distance: NDArray[np.float64], azimuth: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The points ``distance`` metres from (lat0, lon0) along ``azimuth`` (rad): Vincenty's direct formula."""
    f = _WGS84_F
    tan_u1 = (1 - f) * math.tan(math.radians(lat0))
    cos_u1 = 1 / math.sqrt(1 + tan_u1**2)
    sin_u1 = tan_u1 * cos_u1
    sin_a1, cos_a1 = np.sin(azimuth), np.cos(azimuth)
    sigma1 = np.arctan2(tan_u1, cos_a1)
    sin_alpha = cos_u1 * sin_a1
    cos2_alpha = 1 - sin_alpha**2
    u_sq = cos2_alpha * (_WGS84_A**2 - _WGS84_B**2) / _WGS84_B**2
    a_coef = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    b_coef = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    sigma = distance / (_WGS84_B * a_coef)
    for _ in range(20):
        cos_2sm = np.cos(2 * sigma1 + sigma)
        sin_sigma, cos_sigma = np.sin(sigma), np.cos(sigma)
        delta = (
            b_coef
            * sin_sigma
            * (
                cos_2sm
                + b_coef
                / 4
                * (
                    cos_sigma * (-1 + 2 * cos_2sm**2)
                    - b_coef / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
                )
            )
        )
        previous, sigma = sigma, distance / (_WGS84_B * a_coef) + delta
        if not np.any(np.abs(sigma - previous) > 1e-12):
            break
    cos_2sm = np.cos(2 * sigma1 + sigma)
    sin_sigma, cos_sigma = np.sin(sigma), np.cos(sigma)
    lat = np.arctan2(
        sin_u1 * cos_sigma + cos_u1 * sin_sigma * cos_a1,
        (1 - f) * np.hypot(sin_alpha, sin_u1 * sin_sigma - cos_u1 * cos_sigma * cos_a1),
    )
    lam = np.arctan2(sin_sigma * sin_a1, cos_u1 * cos_sigma - sin_u1 * sin_sigma * cos_a1)
    c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
    big_l = lam - (1 - c) * f * sin_alpha * (
        sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
    )
    lon = (lon0 + np.degrees(big_l) + 180.0) % 360.0 - 180.0
    return np.degrees(lat), lon


def _spherical_from(
    lat0: float, lon0: float, lats: NDArray[np.float64], lons: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    phi0, phi, dlam = math.radians(lat0), np.radians(lats), np.radians(lons - lon0)
    east = np.cos(phi) * np.sin(dlam)
    north = math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(dlam)
    up = math.sin(phi0) * np.sin(phi) + math.cos(phi0) * np.cos(phi) * np.cos(dlam)
    return _MEAN_RADIUS_M * np.arctan2(np.hypot(east, north), up), np.arctan2(east, north)


@dataclass(frozen=True)
class Circle:
    """A circular zone: every point within `radius_m` (geodesic) of the centre."""

    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        if not (_is_number(self.lat) and _is_number(self.lon)) or not _in_range(self.lon, self.lat):
            raise GeometryError(
                "圆心坐标无效：纬度须在 -90～90 之间，经度须在 -180～180 之间",
                {"code": "centre_out_of_range", "lat": self.lat, "lon": self.lon},
            )
        if not _is_number(self.radius_m) or not MIN_RADIUS_M <= self.radius_m <= MAX_RADIUS_M:
            raise GeometryError(
                "圆形区域的半径须在 20 米至 100 公里之间",
                {"code": "radius_out_of_range", "radius_m": self.radius_m},
            )

    @property
    def centre(self) -> tuple[float, float]:
        return (float(self.lat), float(self.lon))

    @property
    def projection(self) -> LocalProjection:
        return LocalProjection(*self.centre)


@dataclass(frozen=True)
class Area:
    """A Polygon or MultiPolygon zone from GeoJSON; refused with GeometryError unless valid.

    Keeps its own copy of the GeoJSON, so the caller's dict can change later without moving the zone.
    """

    geojson: dict[str, Any]
    geometry: shapely.Geometry = field(init=False, repr=False, compare=False)
    projection: LocalProjection = field(init=False, repr=False, compare=False)
    projected: shapely.Geometry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        geometry, projection, projected = _validate(self.geojson)
        object.__setattr__(self, "geojson", copy.deepcopy(self.geojson))
        object.__setattr__(self, "geometry", geometry)
        object.__setattr__(self, "projection", projection)
        object.__setattr__(self, "projected", projected)

    @property
    def centre(self) -> tuple[float, float]:
        return (self.projection.lat0, self.projection.lon0)


@dataclass(frozen=True)
class Corridor:
    """A route with a width (走廊, e.g. the way from home to work): every point within ``width_m`` of the
    line, on either side.  Stored as ``{"type": "corridor", "line": [[lon, lat], …], "width_m": W}``.

    Judged exactly as a polygon: the line is projected once into the local metric projection and buffered
    there by ``width_m`` (round ends and joins), and that polygon is ``projected``, as an Area's — so the
    vectorised checks (classify), margins and pass-through depths need nothing of their own.  A route that
    crosses itself is fine (its buffer is one polygon).  Refused with GeometryError: fewer than two distinct
    points, a route shorter than MIN_CORRIDOR_LENGTH_M, a width outside MIN…MAX_CORRIDOR_WIDTH_M.
    """

    geojson: dict[str, Any]
    geometry: shapely.Geometry = field(init=False, repr=False, compare=False)
    projection: LocalProjection = field(init=False, repr=False, compare=False)
    projected: shapely.Geometry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        line, width = _corridor_parts(self.geojson)
        geometry = shapely.LineString(line)
        minx, miny, maxx, maxy = geometry.bounds
        projection = LocalProjection((miny + maxy) / 2, (minx + maxx) / 2)
        route = projection.project(shapely.segmentize(geometry, _DENSIFY_DEG))
        if route.length < MIN_CORRIDOR_LENGTH_M:
            raise GeometryError(
                "路线过短（至少 10 米），请画出路线或改用圆形区域",
                {"code": "line_too_short", "length_m": round(route.length, 2)},
            )
        extent = float(np.hypot(*shapely.get_coordinates(route).T).max()) + width
        if extent > MAX_EXTENT_M:
            raise GeometryError(
                "区域范围过大（各点须在中心 500 公里以内），请拆分为多个区域",
                {"code": "extent_too_large", "extent_m": round(extent)},
            )
        projected = shapely.buffer(route, width, quad_segs=_CORRIDOR_QUAD_SEGS)
        object.__setattr__(self, "geojson", {"type": "corridor", "line": line, "width_m": width})
        object.__setattr__(self, "geometry", geometry)
        object.__setattr__(self, "projection", projection)
        object.__setattr__(self, "projected", projected)

    @property
    def width_m(self) -> float:
        return float(self.geojson["width_m"])

    @property
    def centre(self) -> tuple[float, float]:
        return (self.projection.lat0, self.projection.lon0)

    def outline(self) -> dict[str, Any]:
        """The corridor's area as a GeoJSON Polygon in lon/lat (to draw what is judged; not stored)."""

        def to_degrees(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            lat, lon = self.projection.inverse(xy[:, 0], xy[:, 1])
            return np.column_stack([np.round(lon, 7), np.round(lat, 7)])

        return shapely.geometry.mapping(shapely.transform(self.projected, to_degrees))


def _corridor_parts(geojson: Any) -> tuple[list[list[float]], float]:
    """The route's distinct [lon, lat] positions and the width, after checking every value."""
    malformed = GeometryError(
        "走廊格式不正确：须为 {type: corridor, line: [[经度, 纬度], …], width_m: 宽度}",
        {"code": "malformed_corridor"},
    )
    if not isinstance(geojson, dict) or geojson.get("type") != "corridor":
        raise malformed
    line, width = geojson.get("line"), geojson.get("width_m")
    if not _is_list(line):
        raise malformed
    if len(line) > MAX_VERTICES:
        raise GeometryError(
            "路线顶点过多（最多 10000 个坐标点），请简化路线",
            {"code": "too_many_vertices", "vertices": len(line), "limit": MAX_VERTICES},
        )
    if not all(_is_list(pos) and len(pos) >= 2 and all(map(_is_number, pos)) for pos in line):
        raise malformed
    points = np.array([pos[:2] for pos in line], dtype=np.float64).reshape(-1, 2)
    bad = ~np.isfinite(points).all(axis=1)
    if bad.any():
        raise GeometryError(
            "坐标包含无效数值（非数字或无穷大）", {"code": "coordinate_not_finite", "position": _first(bad)}
        )
    bad = (np.abs(points[:, 0]) > 180) | (np.abs(points[:, 1]) > 90)
    if bad.any():
        raise GeometryError(
            "坐标超出范围：经度须在 -180～180 之间，纬度须在 -90～90 之间",
            {"code": "coordinate_out_of_range", "position": _first(bad)},
        )
    if len(points):  # a point repeated at once (a double click) adds nothing to the route
        points = points[np.r_[True, np.any(points[1:] != points[:-1], axis=1)]]
    if len(points) < 2:
        raise GeometryError("路线至少需要两个不同的点", {"code": "line_too_short", "positions": len(points)})
    if not _is_number(width) or not MIN_CORRIDOR_WIDTH_M <= width <= MAX_CORRIDOR_WIDTH_M:
        raise GeometryError(
            "走廊宽度（距路线的距离）须在 10 米至 50 公里之间",
            {"code": "width_out_of_range", "width_m": width if _is_number(width) else None},
        )
    return points.tolist(), float(width)


ZoneShape = Circle | Area | Corridor


def validate_geojson(geojson: Any) -> shapely.Geometry:
    """The lon/lat shapely geometry of a zone's GeoJSON, or GeometryError saying why it is refused."""
    return _validate(geojson)[0]


def _validate(geojson: Any) -> tuple[shapely.Geometry, LocalProjection, shapely.Geometry]:
    polygons = _polygon_rings(geojson)
    for p, rings in enumerate(polygons):
        for r, ring in enumerate(rings):
            if len(ring) < 4:
                raise GeometryError(
                    "每个边界环至少需要 4 个坐标点（首尾两点相同）",
                    {"code": "ring_too_short", "polygon": p, "ring": r, "positions": len(ring)},
                )
            bad = ~np.isfinite(ring).all(axis=1)
            if bad.any():
                raise GeometryError(
                    "坐标包含无效数值（非数字或无穷大）",
                    {"code": "coordinate_not_finite", "polygon": p, "ring": r, "position": _first(bad)},
                )
            bad = (np.abs(ring[:, 0]) > 180) | (np.abs(ring[:, 1]) > 90)
            if bad.any():
                raise GeometryError(
                    "坐标超出范围：经度须在 -180～180 之间，纬度须在 -90～90 之间",
                    {"code": "coordinate_out_of_range", "polygon": p, "ring": r, "position": _first(bad)},
                )
            if not np.array_equal(ring[0], ring[-1]):
                raise GeometryError(
                    "边界环未闭合：第一个和最后一个坐标点必须相同",
                    {"code": "ring_not_closed", "polygon": p, "ring": r},
                )
    for p, rings in enumerate(polygons):
        _check_holes_inside(p, rings)
    parts = [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
    geometry = parts[0] if geojson["type"] == "Polygon" else shapely.MultiPolygon(parts)
    if not shapely.is_valid(geometry):
        raise GeometryError(
            "区域边界自相交或形状无效，请检查所画的边界",
            {"code": "invalid_geometry", "reason": explain_validity(geometry)},
        )
    minx, miny, maxx, maxy = geometry.bounds
    projection = LocalProjection((miny + maxy) / 2, (minx + maxx) / 2)
    projected = projection.project(shapely.segmentize(geometry, _DENSIFY_DEG))
    extent = float(np.hypot(*shapely.get_coordinates(projected).T).max())
    if extent > MAX_EXTENT_M:
        raise GeometryError(
            "区域范围过大（各点须在中心 500 公里以内），请拆分为多个区域",
            {"code": "extent_too_large", "extent_m": round(extent)},
        )
    area = projected.area
    if area < MIN_AREA_M2 or area > MAX_AREA_M2:
        raise GeometryError(
            "区域面积过小（至少 100 平方米）" if area < MIN_AREA_M2 else "区域面积过大（最多 5 万平方公里）",
            {"code": "area_too_small" if area < MIN_AREA_M2 else "area_too_large", "area_m2": area},
        )
    if not shapely.is_valid(projected):  # a sliver thinner than the projection's rounding
        raise GeometryError(
            "区域边界自相交或形状无效，请检查所画的边界",
            {"code": "invalid_geometry", "reason": explain_validity(projected)},
        )
    return geometry, projection, projected


def _polygon_rings(geojson: Any) -> list[list[NDArray[np.float64]]]:
    """Polygons → rings → (n, 2) lon/lat arrays, after checking the type, the nesting and the count."""
    kind = geojson.get("type") if isinstance(geojson, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeometryError(
            "区域类型只支持多边形（GeoJSON 的 Polygon 或 MultiPolygon）",
            {"code": "wrong_type", "type": kind if isinstance(kind, str) else type(geojson).__name__},
        )
    coordinates = geojson.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    malformed = GeometryError("区域坐标格式不正确", {"code": "malformed_coordinates"})
    if not _is_list(polygons) or not polygons:
        raise malformed
    for rings in polygons:
        if not _is_list(rings) or not rings or not all(_is_list(ring) for ring in rings):
            raise malformed
    count = sum(len(ring) for rings in polygons for ring in rings)
    if count > MAX_VERTICES:
        raise GeometryError(
            "区域顶点过多（最多 10000 个坐标点），请简化边界",
            {"code": "too_many_vertices", "vertices": count, "limit": MAX_VERTICES},
        )
    result: list[list[NDArray[np.float64]]] = []
    for rings in polygons:
        arrays = []
        for ring in rings:
            # A bool or a numeric string would pass np.asarray(float) silently; GeoJSON wants numbers.
            if not all(_is_list(pos) and len(pos) >= 2 and all(map(_is_number, pos)) for pos in ring):
                raise malformed
            arrays.append(np.array([pos[:2] for pos in ring], dtype=np.float64).reshape(-1, 2))
        result.append(arrays)
    return result


def _check_holes_inside(p: int, rings: list[NDArray[np.float64]]) -> None:
    shell = shapely.Polygon(rings[0])
    if not shapely.is_valid(shell):
        return  # the general validity check names the real fault
    for r, ring in enumerate(rings[1:], start=1):
        hole = shapely.Polygon(ring)
        if shapely.is_valid(hole) and not shapely.covers(shell, hole):
            raise GeometryError(
                "区域中挖空的部分（洞）必须完全位于外边界之内",
                {"code": "hole_outside_shell", "polygon": p, "ring": r},
            )


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool)


def _in_range(lon: float, lat: float) -> bool:
    return math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])
