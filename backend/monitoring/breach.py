"""What a zone alert's page says about the breach (越界情况): the last fix confidently on the wrong side of the
zone, judged exactly as the zone watch judges (its margin, the fix's accuracy), and how far it lay from the
zone's boundary — outside an inclusion zone, inside an exclusion zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backend.monitoring.geo.classify import classify, is_breach, signed_distance_m
from backend.monitoring.models import Zone
from backend.monitoring.zone_watch import prepare


@dataclass(frozen=True)
class Breach:
    fix_time: dt.datetime
    distance_m: int  # from the zone's own boundary (not its margin), whole metres


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    accuracy_m: float | None
    fix_time: dt.datetime


def last_breach(zone: Zone, points: Sequence[Point]) -> Breach | None:
    """The last of ``points`` confidently breaching ``zone`` and its distance to the boundary; None when none
    does (a pass-through between two fixes outside an exclusion zone) or the zone's geometry is unusable."""
    if not points or (prepared := prepare(zone)) is None:
        return None
    lats = np.array([p.lat for p in points], dtype=float)
    lons = np.array([p.lon for p in points], dtype=float)
    accuracy = np.array([np.nan if p.accuracy_m is None else p.accuracy_m for p in points], dtype=float)
    breaching = np.flatnonzero(is_breach(prepared, classify(prepared, lats, lons, accuracy)))
    if not len(breaching):
        return None
    i = int(breaching[-1])
    distance = float(signed_distance_m(prepared, lats[i : i + 1], lons[i : i + 1])[0])
    return Breach(points[i].fix_time, round(abs(distance)))
