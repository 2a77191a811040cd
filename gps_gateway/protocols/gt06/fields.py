"""GT06 building blocks shared by the message decoders: GPS block, cell towers, status byte, alarm codes.

Attribute names follow Traccar so devices, docs and the conformance captures line up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..common import Alarm, Fix, Source
from .frames import Frame, Reader

# Alarm codes Traccar knows that common.Alarm does not (yet) name.
HARD_ACCELERATION = "hardAcceleration"
HARD_BRAKING = "hardBraking"
HARD_CORNERING = "hardCornering"
ACCIDENT = "accident"
DOOR = "door"
TOW = "tow"
JAMMING = "jamming"
TEMPERATURE = "temperature"
POWER_ON = "powerOn"

LW_PREFIX = "LW"
SEEWORLD = "SEEWORLD"
NT_MODELS = frozenset({"NT20", "VL100"})
VL_MODELS = frozenset({"VL103", "LL303", "VL512", "G18"})


@dataclass(slots=True)
class Context:
    """What a message decoder needs besides the bytes: the device model and the receive clock."""

    frame: Frame
    reader: Reader
    model: str
    now: dt.datetime
    reply: bytes | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return self.frame.length

    @property
    def lw(self) -> bool:
        return self.model.startswith(LW_PREFIX)

    @property
    def seeworld(self) -> bool:
        return self.model == SEEWORLD

    @property
    def vl(self) -> bool:
        return self.model in VL_MODELS


def bare_fix(time: dt.datetime | None = None, source: str = Source.UNKNOWN) -> Fix:
    """A report without coordinates of its own (status, alarm, cell list): the gateway decides what
    position, if any, goes with it."""
    return Fix(fix_time=time, source=source)


def read_gps(
    r: Reader,
    *,
    satellites: bool = True,
    speed: bool = True,
    long_speed: bool = False,
    flags_first: bool = False,
) -> Fix:
    """The GPS block: time, ``len<<4|sats``, lat/lon in 1/1,800,000°, speed km/h, course+flags."""
    time = r.time()
    sats = r.u8() & 0x0F if satellites else None
    lat = r.u32() / 1_800_000
    lon = r.u32() / 1_800_000
    flags = r.u16() if flags_first else 0
    kmh = (r.u16() if long_speed else r.u8()) if speed else None
    if not flags_first:
        flags = r.u16()
    return gps_fix(time, lat, lon, flags, kmh, sats)


def gps_fix(
    time: dt.datetime, lat: float, lon: float, flags: int, kmh: float | None, sats: int | None
) -> Fix:
    fix = Fix(
        fix_time=time,
        # Bit 10 set means north, bit 11 set means west: the wire carries magnitudes only.
        latitude=lat if flags & 0x0400 else -lat,
        longitude=-lon if flags & 0x0800 else lon,
        valid=bool(flags & 0x1000),
        source=Source.GNSS,
        speed_kmh=float(kmh) if kmh is not None else None,
        course=float(flags & 0x03FF),
        satellites=sats,
    )
    if sats is not None:
        fix.attributes["sat"] = sats
    if flags & 0x4000:
        fix.attributes["ignition"] = bool(flags & 0x8000)
    return fix


def read_cell(r: Reader, *, wide_mnc: bool = False, lac_size: int = 2, cid_size: int = 3) -> dict[str, int]:
    """One cell: MCC, MNC (two bytes when the MCC's top bit says so), LAC, cell id."""
    mcc = r.u16()
    mnc = r.u16() if mcc & 0x8000 or wide_mnc else r.u8()
    lac = r.uint(lac_size)
    cid = r.uint(cid_size)
    return {
        "mobileCountryCode": mcc & 0x7FFF,
        "mobileNetworkCode": mnc,
        "locationAreaCode": lac,
        "cellId": cid,
    }


def add_cells(fix: Fix, cells: list[dict[str, int]]) -> None:
    cells = [cell for cell in cells if cell.get("locationAreaCode") or cell.get("cellId")]
    if cells:
        fix.attributes.setdefault("network", {}).setdefault("cellTowers", []).extend(cells)
        if fix.latitude is None:
            fix.source = Source.CELL


def add_wifi(fix: Fix, points: list[tuple[str, int | None]]) -> None:
    if not points:
        return
    entries = [
        {"macAddress": mac} | ({"signalStrength": rssi} if rssi is not None else {}) for mac, rssi in points
    ]
    fix.attributes.setdefault("network", {}).setdefault("wifiAccessPoints", []).extend(entries)
    if fix.latitude is None:
        fix.source = Source.WIFI


def mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def set_battery_level(fix: Fix, raw: int) -> None:
    """Older units send a 0–6 voltage level, newer ones a percentage."""
    if raw <= 6:
        set_battery_pct(fix, raw * 100 // 6)
    elif raw <= 100:
        set_battery_pct(fix, raw)


def set_battery_pct(fix: Fix, pct: int) -> None:
    """Both the normalised field and Traccar's ``batteryLevel`` attribute, as the other decoders do."""
    fix.battery_pct = pct
    fix.attributes["batteryLevel"] = pct


def apply_status(fix: Fix, status: int, *, overspeed_bit: bool = False) -> None:
    """Terminal-information byte: bit 1 ignition, bit 2 charging, bit 7 blocked; bits 3–5 an alarm."""
    fix.attributes["status"] = status
    fix.attributes["ignition"] = bool(status & 0x02)
    fix.attributes["charge"] = bool(status & 0x04)
    fix.attributes["blocked"] = bool(status & 0x80)
    code = (status >> 3) & 0x07
    if code == 7 and overspeed_bit:
        fix.alarms.add(Alarm.OVERSPEED)  # VXT01 firmware reuses the strap-removal value for overspeed
    elif code in _STATUS_ALARMS:
        fix.alarms.add(_STATUS_ALARMS[code])


_STATUS_ALARMS = {
    1: Alarm.VIBRATION,
    2: Alarm.POWER_CUT,
    3: Alarm.LOW_BATTERY,
    4: Alarm.SOS,
    6: Alarm.GEOFENCE,
    7: Alarm.REMOVING,
}

_ALARM_CODES = {
    0x01: Alarm.SOS,
    0x02: Alarm.POWER_CUT,
    0x03: Alarm.VIBRATION,
    0x04: Alarm.GEOFENCE_ENTER,
    0x05: Alarm.GEOFENCE_EXIT,
    0x06: Alarm.OVERSPEED,
    0x0C: Alarm.TAMPERING,
    0x0E: Alarm.LOW_BATTERY,
    0x0F: Alarm.LOW_BATTERY,
    0x11: Alarm.POWER_OFF,
    0x13: Alarm.TAMPERING,
    0x14: DOOR,
    0x1A: HARD_BRAKING,
    0x1B: HARD_CORNERING,
    0x23: Alarm.FALL_DOWN,
    0x25: Alarm.TAMPERING,
    0x26: HARD_ACCELERATION,
    0x27: HARD_BRAKING,
    0x2A: HARD_CORNERING,
    0x2B: HARD_CORNERING,
    0x2C: ACCIDENT,
    0x2E: HARD_CORNERING,
}


def alarm_code(value: int, ctx: Context) -> str | None:
    """The alarm/language byte's alarm half.  A few codes mean different things per vendor."""
    if value == 0x09:
        return TOW if ctx.vl else Alarm.VIBRATION
    if value == 0x18:
        return ACCIDENT if ctx.lw else Alarm.REMOVING
    if value == 0x19:
        return HARD_ACCELERATION if ctx.lw else Alarm.LOW_BATTERY
    if value == 0x28:
        return HARD_CORNERING if ctx.seeworld else HARD_BRAKING
    if value == 0x29:
        return ACCIDENT if ctx.seeworld else HARD_ACCELERATION
    if value == 0x30:
        return HARD_BRAKING if ctx.vl else JAMMING
    return _ALARM_CODES.get(value)


def mark_archive(fix: Fix) -> None:
    """A point stored while out of coverage and sent later (盲区补传): evaluated, never alerted live."""
    fix.archive = True
    fix.attributes["archive"] = True


def report_flags(r: Reader, fix: Fix, *, event: bool = True) -> None:
    """Ignition, then the report reason (``event``) or upload mode, then the re-upload flag."""
    fix.attributes["ignition"] = r.u8() > 0
    reason = r.u8()
    if event:
        fix.attributes["event"] = reason
    if r.u8() > 0:
        mark_archive(fix)


def add_alarm(fix: Fix, code: str | None) -> None:
    if code:
        fix.alarms.add(code)
