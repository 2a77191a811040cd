"""Which decoded fixes are stored, which are rejected and why (docs/protocols.md, "What happens to
a fix").  Pure functions; every rejection has a reason that the gateway counts and exposes.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import NamedTuple

from gps_gateway.protocols.common import Fix

GPS_ROLLOVER = dt.timedelta(weeks=1024)


@dataclass(frozen=True)
class FilterLimits:
    max_future: dt.timedelta = dt.timedelta(minutes=10)
    max_age: dt.timedelta = dt.timedelta(days=30)
    max_speed_kmh: float = 1000.0  # faster than any car or train: a jump, not a journey


class LastPoint(NamedTuple):  # one per stored fix: a tuple is cheaper to build than a frozen dataclass
    lat: float
    lon: float
    time: dt.datetime


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance; precise enough to tell a jump from a journey (geodesic is for zones)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


def has_point(fix: Fix) -> bool:
    return fix.latitude is not None and fix.longitude is not None


def reject_reason(fix: Fix, now: dt.datetime, last: LastPoint | None, limits: FilterLimits) -> str | None:
    """None to store the fix; otherwise the reason it is refused.

    A fix whose position is unusable but which carries an alarm is *not* refused: the caller stores it
    without a point, because an SOS from a device without GNSS must still reach an officer.
    """
    if fix.fix_time is None:
        return "no_time"
    if fix.fix_time - now > limits.max_future:
        return "future"
    if now - fix.fix_time > limits.max_age:
        # A GPS week-number rollover throws dates back by 1024 weeks (e.g. 2019 → 1999); say so when it fits.
        return "week_rollover" if abs(fix.fix_time + GPS_ROLLOVER - now) < dt.timedelta(days=2) else "too_old"
    if not has_point(fix):
        return "no_position"
    if fix.latitude == 0 and fix.longitude == 0:
        return "null_island"
    if not (-90 <= fix.latitude <= 90 and -180 <= fix.longitude <= 180):
        return "out_of_range"
    if not fix.valid and fix.source == "gnss" and fix.accuracy_m is None:
        return "invalid_no_fallback"
    if last is not None and fix.valid:
        hours = abs((fix.fix_time - last.time).total_seconds()) / 3600
        km = distance_km(last.lat, last.lon, fix.latitude, fix.longitude)
        if km > 1.0 and (hours == 0 or km / hours > limits.max_speed_kmh):
            return "impossible_jump"
    return None
