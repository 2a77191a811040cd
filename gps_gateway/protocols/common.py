"""Types every protocol decoder returns, so the gateway treats all devices alike.

Units are fixed here, whatever the wire uses: degrees WGS-84, km/h, degrees clockwise from north,
metres, percent, UTC-aware datetimes.  ``attributes`` keeps everything else under Traccar's attribute
names (``power``, ``sat``, ``batteryLevel``, ``temp1`` …) so that the conformance tests can compare
against Traccar's expectations and the console can show vendor extras.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

KNOT_KMH = 1.852


class FrameError(ValueError):
    """A frame that cannot be decoded: bad checksum, truncated, unknown layout.  Counted, never fatal.

    ``reason`` names a refusal the gateway counts on its own (``frames_refused``, e.g. a length field that
    disagrees with the frame): a frame that decodes but must not be believed."""

    def __init__(self, message: str = "", *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


class Alarm:
    """Alarm codes (Traccar's names, so devices and docs line up).  Chinese labels live in monitoring."""

    SOS = "sos"
    TAMPERING = "tampering"  # case opened / tamper switch
    REMOVING = "removing"  # strap cut or device taken off (腕带/脚环剪断)
    POWER_CUT = "powerCut"  # external power cut
    POWER_OFF = "powerOff"
    LOW_BATTERY = "lowBattery"
    LOW_POWER = "lowPower"  # under-voltage of external supply
    VIBRATION = "vibration"
    OVERSPEED = "overspeed"
    GEOFENCE = "geofence"
    GEOFENCE_ENTER = "geofenceEnter"
    GEOFENCE_EXIT = "geofenceExit"
    GPS_ANTENNA_CUT = "gpsAntennaCut"
    MOVEMENT = "movement"  # illegal displacement
    FALL_DOWN = "fallDown"
    GENERAL = "general"


class Source:
    GNSS = "gnss"
    CELL = "cell"
    WIFI = "wifi"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Fix:
    """One position report.  ``valid`` is the device's own fix flag; a fix without coordinates may still
    carry alarms (an SOS with no GNSS must still become an alert)."""

    fix_time: dt.datetime | None
    latitude: float | None = None
    longitude: float | None = None
    valid: bool = False
    source: str = Source.GNSS
    accuracy_m: float | None = None
    speed_kmh: float | None = None
    course: float | None = None
    altitude_m: float | None = None
    satellites: int | None = None
    battery_pct: int | None = None
    alarms: set[str] = field(default_factory=set)
    archive: bool = False  # back-filled (JT/T 808 0x0704 type 1, Watch UD2): evaluated, alerts only as "late"
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SessionState:
    """What a decoder may remember between frames of one connection (GT06 frames after login carry no
    IMEI; the JT/T 808 2019 flag decides how to read replies).  The gateway owns one per connection."""

    device_id: str | None = None
    protocol_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Decoded:
    """The result of decoding one frame.

    - ``device_id``: the identifier the device is provisioned under (IMEI, JT/T 808 terminal phone as
      digits, OsmAnd id), or None if the frame carries none and the session knows none.
    - ``message``: what kind of message it was: "login", "register", "auth", "heartbeat", "location",
      "batch", "alarm", "logout", "response", "other".
    - ``fixes``: positions (possibly without coordinates when only alarms are known).
    - ``reply``: bytes to send back **after** the fixes are committed (None: send nothing).  For
      messages the gateway must answer itself (JT/T 808 register/auth), ``reply`` is None and
      ``details`` carries what the gateway needs to build the answer.
    - ``details``: protocol facts for the gateway (msg id, serial, auth code, model, …).
    """

    device_id: str | None
    message: str
    fixes: list[Fix] = field(default_factory=list)
    reply: bytes | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FrameSplit:
    """Frames cut from a stream buffer.  ``rest`` is kept for the next read; ``junk`` counts bytes skipped
    because they could not start a frame (counted by the gateway, never silently dropped)."""

    frames: list[bytes]
    rest: bytes
    junk: int = 0


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int, ms: int = 0) -> dt.datetime:
    """A UTC datetime, raising FrameError (not ValueError from datetime) on impossible dates."""
    try:
        return dt.datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=dt.UTC)
    except ValueError as exc:
        raise FrameError(f"impossible date {year}-{month}-{day} {hour}:{minute}:{second}") from exc


CHINA_TZ = dt.timezone(dt.timedelta(hours=8))


def from_china_time(year: int, month: int, day: int, hour: int, minute: int, second: int) -> dt.datetime:
    """JT/T 808 BCD times are GMT+8 by the standard."""
    try:
        # The same instant as datetime(..., tzinfo=CHINA_TZ).astimezone(UTC), without the conversion's cost.
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC) - _CHINA_OFFSET
    except (ValueError, OverflowError) as exc:  # OverflowError: 0001-01-01 before 08:00
        raise FrameError(f"impossible date {year}-{month}-{day} {hour}:{minute}:{second}") from exc


_CHINA_OFFSET = dt.timedelta(hours=8)
