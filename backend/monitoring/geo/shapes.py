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


ZoneShape = Circle | Area


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
