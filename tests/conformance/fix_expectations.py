"""Checking a decoder's fixes against a capture row's expectation (README grammar, Traccar's names).

Shared by the GT06, H02 and Watch conformance tests.  Traccar keeps speed (knots), course and
altitude as position fields; everything else is an attribute, ``alarm`` a comma list of codes.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from gps_gateway.protocols.common import KNOT_KMH, Fix
from tests.conformance.captures import Capture, Expectation

MISSING = object()


def ids(rows: list[Capture]) -> list[str]:
    return [f"line-{row.line}" for row in rows]


def check_expectation(fixes: list[Fix], expectation: Expectation, *, now: dt.datetime | None = None) -> None:
    kind = expectation.kind
    if kind == "null":
        assert fixes == [], f"expected nothing, got {fixes}"
    elif kind == "not-null":
        assert fixes, "expected something decoded"
    elif kind == "position":
        assert fixes, "expected a position"
        check_position(fixes[0], expectation, now=now)
    elif kind == "positions":
        assert fixes, "expected positions"
        for fix in fixes:
            check_position(fix, Expectation(kind="position"), now=now)
    elif kind == "attributes":
        assert fixes and traccar_attributes(fixes[0]), f"expected attributes, got {fixes}"
    elif kind == "attribute":
        assert fixes, "expected a fix to carry the attribute"
        check_attribute(fixes[0], expectation.key or "", expectation.value)
    else:
        raise AssertionError(f"not a decoder expectation: {kind}")


def check_position(fix: Fix, expectation: Expectation, *, now: dt.datetime | None = None) -> None:
    """The row's own values, then the bounds Traccar checks on every position."""
    assert fix.fix_time is not None and fix.latitude is not None and fix.longitude is not None, fix
    if expectation.time:
        assert fix.fix_time == dt.datetime.fromisoformat(expectation.time.replace("Z", "+00:00"))
    if expectation.valid is not None:
        assert fix.valid is expectation.valid
    if expectation.lat is not None:
        assert abs(fix.latitude - expectation.lat) <= 1e-5, (fix.latitude, expectation.lat)
    if expectation.lon is not None:
        assert abs(fix.longitude - expectation.lon) <= 1e-5, (fix.longitude, expectation.lon)
    check_bounds(fix, now=now or dt.datetime.now(dt.UTC))


def check_bounds(fix: Fix, *, now: dt.datetime) -> None:
    assert fix.fix_time is not None
    assert dt.datetime(1999, 12, 31, tzinfo=dt.UTC) < fix.fix_time < now + dt.timedelta(hours=25)
    assert fix.latitude is not None and -90 <= fix.latitude <= 90
    assert fix.longitude is not None and -180 <= fix.longitude <= 180
    if fix.altitude_m is not None:
        assert -12262 <= fix.altitude_m <= 18000
    if fix.speed_kmh is not None:
        assert 0 <= fix.speed_kmh / KNOT_KMH <= 869
    if fix.course is not None:
        assert 0 <= fix.course <= 360
    if fix.battery_pct is not None:
        assert 0 <= fix.battery_pct <= 100


def traccar_attributes(fix: Fix) -> dict[str, Any]:
    """What Traccar would list as the position's attributes."""
    extra: dict[str, Any] = {}
    if fix.alarms:
        extra["alarm"] = ",".join(sorted(fix.alarms))
    if fix.battery_pct is not None:
        extra["batteryLevel"] = fix.battery_pct
    if fix.satellites is not None:
        extra["sat"] = fix.satellites
    return extra | fix.attributes


def traccar_value(fix: Fix, key: str) -> Any:
    if key == "speed":
        return MISSING if fix.speed_kmh is None else fix.speed_kmh / KNOT_KMH
    fields = {"course": fix.course, "altitude": fix.altitude_m, "accuracy": fix.accuracy_m}
    if key in fields:
        return MISSING if fields[key] is None else fields[key]
    return traccar_attributes(fix).get(key, MISSING)


def check_attribute(fix: Fix, key: str, expected: Any) -> None:
    if key == "alarm" and expected is not None:
        assert expected in fix.alarms, f"alarm {expected!r} not in {fix.alarms}"
        return
    actual = traccar_value(fix, key)
    if expected is None:
        assert actual is MISSING, f"{key} should be absent, is {actual!r}"
        return
    assert actual is not MISSING, f"{key} missing from {traccar_attributes(fix)}"
    assert same_value(actual, expected), f"{key}: {actual!r} != {expected!r}"


def same_value(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return actual == expected
