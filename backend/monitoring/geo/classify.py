"""Where fixes stand relative to a zone: confidently inside, confidently outside, or uncertain.

A fix is a point with an accuracy radius (GNSS ≈ 10 m, Wi-Fi 50–500 m, cell 200–1000 m).  A breach may
only be raised on a fix whose whole accuracy circle, widened by the zone's margin, is on the wrong side;
a circle that straddles the boundary is UNCERTAIN and waits for confirmation (docs/monitoring.md, "How a
violation is detected").
All functions take numpy arrays of fixes and loop in C, never per fix in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from backend.monitoring.geo.shapes import Circle, LocalProjection, ZoneShape

INSIDE = np.int8(1)
OUTSIDE = np.int8(-1)
UNCERTAIN = np.int8(0)
# A fix without an accuracy is taken to be as good as a fair Wi-Fi fix, not as good as GNSS.
DEFAULT_ACCURACY_M = 50.0

ZoneKind = Literal["inclusion", "exclusion"]


@dataclass(frozen=True, eq=False)
class PreparedZone:
    """A zone ready for repeated classification: projected once, with prepared (indexed) geometry.

    `kind` says what a breach is: for an inclusion zone (活动区域) being outside, for an exclusion zone
    (禁止区域) being inside.  `margin_m` widens the uncertain band on both sides of the boundary, and
    `accuracy_factor` scales each reported accuracy into the radius a fix must clear (a 68 % radius times
    1.5 is about a 99 % bound across a boundary line; rules().zone_accuracy_factor).
    For a circle, `geometry` is a 256-gon for display and debugging; circles are judged analytically.
    """

    shape: ZoneShape
    kind: ZoneKind
    margin_m: float
    projection: LocalProjection
    geometry: shapely.Geometry
    boundary: shapely.Geometry
    # The zone shrunk by margin_m: a path has to reach this far in to count as passing through.
    core: shapely.Geometry
    accuracy_factor: float = 1.0
    # (shrunk, grown) by a band width, built on first use by a large batch: see `_far_from_boundary`.
    _bands: dict[float, tuple[shapely.Geometry, shapely.Geometry]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def from_shape(
        cls,
        shape: ZoneShape,
        *,
        kind: ZoneKind = "inclusion",
        margin_m: float = 0.0,
        accuracy_factor: float = 1.0,
    ) -> PreparedZone:
        if kind not in ("inclusion", "exclusion"):
            raise ValueError(f"unknown zone kind {kind!r}")
        if not (math.isfinite(margin_m) and margin_m >= 0):
            raise ValueError(f"margin_m must be a finite number ≥ 0, not {margin_m!r}")
        if not (math.isfinite(accuracy_factor) and accuracy_factor > 0):
            raise ValueError(f"accuracy_factor must be a finite number > 0, not {accuracy_factor!r}")
        if isinstance(shape, Circle):
            geometry = shapely.Point(0.0, 0.0).buffer(shape.radius_m, quad_segs=64)
        else:
            geometry = shape.projected
        boundary = shapely.boundary(geometry)
        core = shapely.buffer(geometry, -margin_m) if margin_m > 0 else geometry
        for part in (geometry, boundary, core):
            shapely.prepare(part)
        return cls(
            shape, kind, float(margin_m), shape.projection, geometry, boundary, core, float(accuracy_factor)
        )


def classify(
    zone: PreparedZone,
    lats: ArrayLike,
    lons: ArrayLike,
    accuracies_m: ArrayLike | None = None,
    *,
    default_accuracy_m: float = DEFAULT_ACCURACY_M,
) -> NDArray[np.int8]:
    """INSIDE (1), OUTSIDE (-1) or UNCERTAIN (0) for each fix.

    Confident only when the fix is farther from the boundary than its accuracy times the zone's
    `accuracy_factor`, plus the zone's margin; exactly at that distance counts as uncertain, the cautious
    side.  A missing (NaN) or negative accuracy means `default_accuracy_m`, a radius already meant to be
    safe (not scaled); a fix without finite coordinates is UNCERTAIN.
    """
    lat_a, lon_a, acc = np.broadcast_arrays(
        np.asarray(lats, dtype=np.float64),
        np.asarray(lons, dtype=np.float64),
        np.asarray(np.nan if accuracies_m is None else accuracies_m, dtype=np.float64),
    )
    acc = np.where(np.isnan(acc) | (acc < 0), default_accuracy_m, acc * zone.accuracy_factor)
    threshold = acc + zone.margin_m
    x, y = zone.projection.forward(lat_a, lon_a)
    usable = np.isfinite(x) & np.isfinite(y) & np.isfinite(threshold)
    inside = np.zeros(x.shape, dtype=bool)
    near = np.ones(x.shape, dtype=bool)
    if isinstance(zone.shape, Circle):
        with np.errstate(invalid="ignore"):
            signed = zone.shape.radius_m - np.hypot(x, y)
            inside = signed > 0
            near = ~(np.abs(signed) > threshold)
    else:
        xu, yu = x[usable], y[usable]
        inside[usable] = shapely.contains_xy(zone.geometry, xu, yu)
        near_u = np.ones(xu.shape, dtype=bool)
        band = _band_for(zone, threshold[usable])
        if band is not None:
            shrunk, grown = band
            near_u = ~(shapely.contains_xy(shrunk, xu, yu) | ~shapely.contains_xy(grown, xu, yu))
        # dwithin on a prepared boundary walks an index; shapely.distance would scan every edge per fix.
        near_u[near_u] = shapely.dwithin(
            zone.boundary, shapely.points(xu[near_u], yu[near_u]), threshold[usable][near_u]
        )
        near[usable] = near_u
    result = np.full(x.shape, UNCERTAIN, dtype=np.int8)
    confident = usable & ~near
    result[confident & inside] = INSIDE
    result[confident & ~inside] = OUTSIDE
    return result


# Below this many fixes the boundary distance of each is cheap enough; above it, fixes far from the
# boundary are settled by two point-in-polygon tests first (in a county batch most fixes are far from it).
BAND_MIN_FIXES = 256
# Bands are built for widths 16 m, 32 m, … so a zone keeps a handful of them, not one per batch.
_BAND_WIDTHS = tuple(16.0 * 2**k for k in range(12))  # up to 32.8 km
# Buffers draw their rounded corners as chords, which fall short of the true offset by
# 1 - cos(π/4·quad_segs) ≈ 0.05 % at quad_segs=16; building each band 1 % wider keeps a point it
# calls far truly farther than the width from the boundary.
_BAND_SLACK = 1.01


def _band_for(
    zone: PreparedZone, thresholds: NDArray[np.float64]
) -> tuple[shapely.Geometry, shapely.Geometry] | None:
    """The zone shrunk and grown by a width at least every threshold, or None when not worth it.

    A fix inside the shrunk zone, or outside the grown one, is farther from the boundary than the
    width, so than its own threshold: confidently inside or outside without measuring its distance.
    """
    if thresholds.size < BAND_MIN_FIXES:
        return None
    widest = float(thresholds.max())
    width = next((w for w in _BAND_WIDTHS if w >= widest), None)
    if width is None:
        return None
    band = zone._bands.get(width)
    if band is None:
        distance = width * _BAND_SLACK
        band = (
            shapely.buffer(zone.geometry, -distance, quad_segs=16),
            shapely.buffer(zone.geometry, distance, quad_segs=16),
        )
        for part in band:
            shapely.prepare(part)
        zone._bands[width] = band
    return band


def is_breach(zone: PreparedZone, classes: NDArray[np.int8]) -> NDArray[np.bool_]:
    """Which classified fixes break the zone's rule: outside an inclusion zone, inside an exclusion zone."""
    return np.asarray(classes) == (OUTSIDE if zone.kind == "inclusion" else INSIDE)


def signed_distance_m(zone: PreparedZone, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.float64]:
    """Distance from each fix to the boundary, positive inside and negative outside (for alert texts).

    For an area this scans every boundary edge per fix: meant for the handful of fixes an alert quotes,
    not for the stream (use `classify`).
    """
    x, y = zone.projection.forward(lats, lons)
    if isinstance(zone.shape, Circle):
        return zone.shape.radius_m - np.hypot(x, y)
    distance = shapely.distance(zone.boundary, shapely.points(x, y))
    return np.where(shapely.contains_xy(zone.geometry, x, y), distance, -distance)


def segment_crosses(
    zone: PreparedZone, lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.bool_]:
    """For each pair of consecutive fixes, whether the straight path between them enters the zone.

    Sparse fixes can hide a pass-through: two fixes outside an exclusion zone, one on each side of it.
    The path counts when it reaches more than `margin_m` into the zone's interior, so a segment that
    clips a corner within the tolerance (or only touches the boundary) does not.  Pairs with a
    missing coordinate are False.
    """
    x1, y1 = zone.projection.forward(lat1, lon1)
    x2, y2 = zone.projection.forward(lat2, lon2)
    x1, y1, x2, y2 = np.broadcast_arrays(x1, y1, x2, y2)
    usable = np.isfinite(x1) & np.isfinite(y1) & np.isfinite(x2) & np.isfinite(y2)
    if isinstance(zone.shape, Circle):
        return usable & (_origin_to_segment(x1, y1, x2, y2) < zone.shape.radius_m - zone.margin_m)
    result = np.zeros(x1.shape, dtype=bool)
    if shapely.is_empty(zone.core):
        return result
    # A zero-length LineString is degenerate for GEOS predicates; a fix that did not move is a point.
    still = usable & (x1 == x2) & (y1 == y2)
    result[still] = shapely.contains_xy(zone.core, x1[still], y1[still])
    moved = usable & ~still
    starts = np.column_stack([x1[moved], y1[moved]])
    ends = np.column_stack([x2[moved], y2[moved]])
    lines = shapely.linestrings(np.stack([starts, ends], axis=1))
    # Interiors meet exactly when the geometries intersect without merely touching.
    result[moved] = shapely.intersects(zone.core, lines) & ~shapely.touches(zone.core, lines)
    return result


def _origin_to_segment(
    x1: NDArray[np.float64], y1: NDArray[np.float64], x2: NDArray[np.float64], y2: NDArray[np.float64]
) -> NDArray[np.float64]:
    dx, dy = x2 - x1, y2 - y1
    length_sq = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length_sq > 0, -(x1 * dx + y1 * dy) / length_sq, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(x1 + t * dx, y1 + t * dy)
