"""OsmAnd / Traccar Client over HTTP (port 5055): phones and apps that report by URL or JSON.

Pure: the gateway hands over the request line and body, gets fixes back, and answers with
``reply_ok`` or ``reply_unknown_device``.  Units follow ``common``: the query form's speed is in knots,
the JSON form's in m/s; both become km/h here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gps_gateway.protocols.common import KNOT_KMH, Alarm, Decoded, Fix, FrameError, Source

MS_KMH = 3.6
_EPOCH_MS_FROM = 2**31 - 1  # below this a numeric timestamp is seconds, as Traccar decides

# Traccar's alarm names (org.traccar.model.Position.ALARM_*); ours (common.Alarm) are among them.  An app's
# ``alarm=`` is matched ignoring case, "_" and "-", and may list several, comma-separated, as Traccar
# stores them.  Anything else is free text: it is dropped and counted (``details["unknown_alarms"]``),
# never stored, while the fix itself is kept: a position must not be lost to a bad alarm word.
TRACCAR_ALARMS = (
    "general", "sos", "vibration", "movement", "lowspeed", "overspeed", "fallDown", "lowPower", "lowBattery",
    "fault", "powerOff", "powerOn", "door", "lock", "unlock", "geofence", "geofenceEnter", "geofenceExit",
    "gpsAntennaCut", "accident", "tow", "idle", "highRpm", "hardAcceleration", "hardBraking", "hardCornering",
    "laneChange", "fatigueDriving", "powerCut", "powerRestored", "jamming", "temperature", "parking", "bonnet",
    "footBrake", "fuelLeak", "tampering", "removing",
)  # fmt: skip
_ALARMS = {name.lower(): name for name in TRACCAR_ALARMS} | {"fall": Alarm.FALL_DOWN}


def decode_request(
    method: str,
    path_and_query: str,
    content_type: str | None,
    body: bytes,
    *,
    received_at: dt.datetime | None = None,
) -> Decoded:
    """Decode one request (any method).  A JSON batch (``"location": [...]``) gives several fixes.

    ``received_at`` stands in for a missing ``timestamp``; without it such a fix has no time and
    ``details["time_missing"]`` says so.  A request without a device id raises FrameError.
    """
    is_json = bool(content_type and "json" in content_type.lower())
    if is_json:
        return _decode_json(body, received_at)
    query = urlsplit(path_and_query).query
    if not query and body:
        query = body.decode("utf-8", "replace")  # form body: the same keys as the query string
    return _decode_query(parse_qsl(query, keep_blank_values=True), received_at)


def reply_ok() -> tuple[int, bytes]:
    return 200, b""


def reply_unknown_device(is_json: bool) -> tuple[int, bytes]:
    """Traccar answers an unknown device with 404 on the JSON API and 400 on the query form; apps retry
    on anything else, so we do the same."""
    return (404, b"") if is_json else (400, b"")


# --- query form ----------------------------------------------------------------------------------


def _decode_query(pairs: list[tuple[str, str]], received_at: dt.datetime | None) -> Decoded:
    fix = Fix(fix_time=None, valid=True)
    device_id = None
    cells: list[dict[str, int]] = []
    wifi: list[dict[str, Any]] = []
    dropped = 0
    for key, value in pairs:
        try:
            if key in ("id", "deviceid"):
                device_id = value
            elif key == "cell":
                cells.append(_cell(value))
            elif key == "alarm":
                dropped += _alarms(fix, value)
            elif key == "wifi":
                mac, rssi = value.split(",")[:2]
                wifi.append({"macAddress": mac.replace("-", ":").lower(), "signalStrength": int(rssi)})
            else:
                _query_value(fix, key, value)
        except (ValueError, IndexError) as exc:
            raise FrameError(f"bad {key}={value!r}") from exc
    if not device_id:
        raise FrameError("no id or deviceid")
    _finish(fix, cells, wifi)
    return _result(device_id, [fix], received_at, is_json=False, unknown_alarms=dropped)


def _query_value(fix: Fix, key: str, value: str) -> None:
    if key == "valid":
        fix.valid = value.lower() == "true" or value == "1"
    elif key == "timestamp":
        fix.fix_time = parse_timestamp(value)
    elif key == "lat":
        fix.latitude = float(value)
    elif key == "lon":
        fix.longitude = float(value)
    elif key == "location":
        lat, lon = value.split(",")[:2]
        fix.latitude, fix.longitude = float(lat), float(lon)
    elif key == "speed":
        fix.speed_kmh = _non_negative(float(value), KNOT_KMH)
    elif key in ("bearing", "heading"):
        fix.course = _non_negative(float(value), 1.0)
    elif key == "altitude":
        fix.altitude_m = float(value)
    elif key == "accuracy":
        fix.accuracy_m = float(value)
    elif key == "batt":
        _battery(fix, float(value))
    elif key == "driverUniqueId":
        fix.attributes[key] = value  # an id, even when it looks like a number
    else:
        fix.attributes[key] = _plain(value)


def _cell(value: str) -> dict[str, int]:
    parts = [int(part) for part in value.split(",")]
    cell = dict(zip(("mcc", "mnc", "lac", "cid"), parts[:4], strict=True))
    if len(parts) > 4:
        cell["rssi"] = parts[4]
    return cell


def _plain(value: str) -> Any:
    """Numbers and booleans as such, anything else as text (how Traccar stores unknown keys)."""
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if re.fullmatch(r"[-+]?\d+", value):
        return int(value)
    try:
        number = float(value)
    except ValueError:
        return value
    return number if math.isfinite(number) else value


def parse_timestamp(value: str) -> dt.datetime:
    """Epoch seconds, epoch milliseconds, ISO-8601, or ``yyyy-MM-dd HH:mm:ss`` (taken as UTC)."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    try:
        if number is not None:
            seconds = number / 1000 if number >= _EPOCH_MS_FROM else number
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        parsed = dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError) as exc:
        raise FrameError(f"bad timestamp {value!r}") from exc
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


# --- JSON (Traccar Client 9+) --------------------------------------------------------------------


def _decode_json(body: bytes, received_at: dt.datetime | None) -> Decoded:
    try:
        root = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError("body is not JSON") from exc
    if not isinstance(root, dict):
        raise FrameError("JSON body is not an object")
    device_id = root.get("device_id") or root.get("id") or root.get("deviceid")
    if not device_id:
        raise FrameError("no device_id")
    locations = root.get("location")
    items = locations if isinstance(locations, list) else [locations or {}]
    fixes, dropped = [], 0
    try:
        for item in items:
            if isinstance(item, dict):
                fixes.append(fix := _json_fix(item))
                dropped += _alarms(fix, str(item["alarm"])) if item.get("alarm") else 0
    except (TypeError, ValueError) as exc:
        raise FrameError(f"bad location: {exc}") from exc
    return _result(str(device_id), fixes, received_at, is_json=True, unknown_alarms=dropped)


def _json_fix(location: dict[str, Any]) -> Fix:
    fix = Fix(fix_time=None, valid=True)
    if location.get("timestamp") is not None:
        fix.fix_time = parse_timestamp(str(location["timestamp"]))
    coords = location.get("coords") or {}
    if coords.get("latitude") is not None and coords.get("longitude") is not None:
        fix.latitude, fix.longitude = float(coords["latitude"]), float(coords["longitude"])
    if coords.get("accuracy") is not None:
        fix.accuracy_m = _non_negative(float(coords["accuracy"]), 1.0)
    if coords.get("speed") is not None:
        fix.speed_kmh = _non_negative(float(coords["speed"]), MS_KMH)
    if coords.get("heading") is not None:
        fix.course = _non_negative(float(coords["heading"]), 1.0)
    if coords.get("altitude") is not None:
        fix.altitude_m = float(coords["altitude"])
    _json_attributes(fix, location)
    _finish(fix, [], [])
    return fix


def _json_attributes(fix: Fix, location: dict[str, Any]) -> None:
    attrs = fix.attributes
    if "event" in location:
        attrs["event"] = location["event"]
    if "is_moving" in location:
        attrs["motion"] = bool(location["is_moving"])
    if "odometer" in location:
        attrs["odometer"] = location["odometer"]
    if "mock" in location:
        attrs["mock"] = bool(location["mock"])  # a mock-location app: the position may be spoofed
    activity = location.get("activity")
    if isinstance(activity, dict) and "type" in activity:
        attrs["activity"] = activity["type"]
    battery = location.get("battery")
    if isinstance(battery, dict):
        if battery.get("level") is not None:
            _battery(fix, float(round(float(battery["level"]) * 100)))
        if "is_charging" in battery:
            attrs["charge"] = bool(battery["is_charging"])
    extras = location.get("extras")
    if isinstance(extras, dict):
        attrs.update(extras)


# --- shared --------------------------------------------------------------------------------------


def _non_negative(value: float, scale: float) -> float | None:
    """Apps send -1 for "unknown"."""
    return None if value < 0 or not math.isfinite(value) else value * scale


def _battery(fix: Fix, percent: float) -> None:
    """Out-of-range levels (apps send -1 when they cannot read the battery) are unknown, not zero."""
    if 0 <= percent <= 100:
        fix.attributes["batteryLevel"] = int(percent) if percent.is_integer() else percent
        fix.battery_pct = round(percent)


def _alarms(fix: Fix, value: str) -> int:
    """Add the alarms ``value`` names; the number of words that name none (dropped, never stored)."""
    dropped = 0
    for word in value.split(","):
        alarm = _ALARMS.get(word.strip().lower().replace("_", "").replace("-", ""))
        if alarm is None:
            dropped += 1
        else:
            fix.alarms.add(alarm)
    return dropped


def _finish(fix: Fix, cells: list[dict[str, int]], wifi: list[dict[str, Any]]) -> None:
    if cells or wifi:
        network: dict[str, Any] = {}
        if cells:
            network["cellTowers"] = cells
        if wifi:
            network["wifiAccessPoints"] = wifi
        fix.attributes["network"] = network
    if fix.latitude is None or fix.longitude is None:
        fix.latitude = fix.longitude = None
        fix.valid = False
        fix.source = Source.WIFI if wifi else Source.CELL if cells else Source.UNKNOWN


def _result(
    device_id: str, fixes: list[Fix], received_at: dt.datetime | None, *, is_json: bool, unknown_alarms: int
) -> Decoded:
    details: dict[str, Any] = {"json": is_json}
    if unknown_alarms:
        details["unknown_alarms"] = unknown_alarms
    for fix in fixes:
        if fix.fix_time is None:
            details["time_missing"] = True
            fix.fix_time = received_at
    return Decoded(device_id, "batch" if len(fixes) > 1 else "location", fixes, None, details)
