"""Checking a decoder's fixes against a capture row's expectation (README grammar, Traccar's names).

Shared by every decoder conformance test.  Traccar keeps speed (knots), course, altitude and accuracy
as position fields; everything else is an attribute (``Fix.attributes``), and ``alarm`` is the comma
list of a position's alarm codes.  Values keep their type: ``4`` (integer) is not ``4.0`` (float).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from gps_gateway.protocols.common import KNOT_KMH, Fix
from tests.conformance.captures import Capture, Expectation

MISSING = object()


def ids(rows: list[Capture]) -> list[str]:
    return [f"line-{row.line}" for row in rows]


def check_expectation(
    fixes: list[Fix],
    expectation: Expectation,
    *,
    now: dt.datetime | None = None,
    alarm_aliases: Mapping[str, str] | None = None,
) -> None:
    """``alarm_aliases`` maps a Traccar alarm code to the one we deliberately use instead."""
    kind = expectation.kind
    if kind == "null":
        assert fixes == [], f"expected nothing, got {fixes}"
    elif kind == "not-null":
        assert fixes, "expected something decoded"
    elif kind == "position":
        assert len(fixes) == 1, f"expected one position, got {fixes}"
        check_position(fixes[0], expectation, now=now)
    elif kind == "positions":
        assert fixes, "expected positions"
        for fix in fixes:
            check_position(fix, Expectation(kind="position"), now=now)
    elif kind == "attributes":
        assert fixes and fixes[0].attributes, f"expected attributes, got {fixes}"
    elif kind == "attribute":
        assert fixes, "expected a fix to carry the attribute"
        check_attribute(fixes[0], expectation.key or "", expectation.value, alarm_aliases=alarm_aliases)
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
    assert dt.datetime(2000, 1, 1, tzinfo=dt.UTC) < fix.fix_time < now + dt.timedelta(hours=25)
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
    if "batteryLevel" in fix.attributes:
        assert 0 <= fix.attributes["batteryLevel"] <= 100


def traccar_value(fix: Fix, key: str) -> Any:
    """The value Traccar would assert under ``key`` (MISSING where it has none)."""
    if key == "speed":
        return MISSING if fix.speed_kmh is None else fix.speed_kmh / KNOT_KMH
    fields = {"course": fix.course, "altitude": fix.altitude_m, "accuracy": fix.accuracy_m}
    if key in fields:
        return MISSING if fields[key] is None else fields[key]
    if key == "alarm" and fix.alarms:
        return ",".join(sorted(fix.alarms))
    return fix.attributes.get(key, MISSING)


def check_attribute(
    fix: Fix, key: str, expected: Any, *, alarm_aliases: Mapping[str, str] | None = None
) -> None:
    if key == "alarm" and expected is not None:
        aliases = alarm_aliases or {}
        wanted = {aliases.get(code, code) for code in str(expected).split(",")}
        assert fix.alarms == wanted, f"alarms {fix.alarms} != {wanted}"
        return
    actual = traccar_value(fix, key)
    if expected is None:
        assert actual is MISSING, f"{key} should be absent, is {actual!r}"
        return
    assert actual is not MISSING, f"{key} missing from {fix.attributes}"
    assert same_value(actual, expected), f"{key}: {actual!r} != {expected!r}"


def same_value(actual: Any, expected: Any) -> bool:
    """Equal and of the same type, so Traccar's 4 (integer) and 4.0 (floating point) stay apart."""
    if isinstance(expected, float):
        return isinstance(actual, float) and math.isclose(actual, expected, rel_tol=1e-9)
    return type(actual) is type(expected) and actual == expected
