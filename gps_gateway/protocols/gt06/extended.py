"""GT06 messages in the long framing (``79 79``, two-byte length): information packets, modular
GPS (0x70), peripherals, OBD, serial pass-through, AZ735 reports and vendor status lists."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from ..common import KNOT_KMH, Alarm, Fix, utc
from .fields import (
    DOOR,
    POWER_ON,
    TEMPERATURE,
    Context,
    add_alarm,
    add_cells,
    bare_fix,
    gps_fix,
    mark_archive,
    read_cell,
    read_gps,
)
from .frames import build_reply
from .location import kind

Result = tuple[str, list[Fix]]


def decode_extended(ctx: Context) -> Result:
    handler = _EXTENDED.get(ctx.frame.proto)
    if handler is None:
        ctx.details["unsupported"] = True
        return "other", []
    return handler(ctx)


def _ack(ctx: Context, *, extended: bool = False) -> None:
    ctx.reply = build_reply(ctx.frame.proto, ctx.frame.serial, extended=extended)


# ---------------------------------------------------------------------------------------------------
# 0x21 text, 0x94 information, 0x9B serial pass-through

_CURRENT_POSITION = re.compile(
    r"Current position!Lat:([NS])(\d+\.\d+),Lon:([EW])(\d+\.\d+),Course:(\d+\.\d+),"
    r"Speed:(\d+\.\d+),DateTime:(\d{4})-(\d\d)-(\d\d) +(\d\d):(\d\d):(\d\d)"
)


def _string_info(ctx: Context) -> Result:
    """0x21: a command answer, ASCII or UTF-16; "Current position!" answers carry a position."""
    r = ctx.reader
    r.skip(4)  # server flag
    encoding = "ascii" if r.u8() == 1 else "utf-16-be"
    text = r.rest().decode(encoding, "replace")
    match = _CURRENT_POSITION.fullmatch(text)
    if not match:
        fix = bare_fix()
        fix.attributes["result"] = text
        return "response", [fix]
    ns, lat, ew, lon, course, speed, *parts = match.groups()
    year, month, day, hour, minute, second = (int(p) for p in parts)
    time = utc(year, month, day, hour, minute, second)
    flags = 0x1000 | (0x0400 if ns == "N" else 0) | (0x0800 if ew == "W" else 0)
    fix = gps_fix(time, float(lat), float(lon), flags, None, None)
    fix.course = float(course)
    fix.speed_kmh = float(speed) * KNOT_KMH  # Traccar reads this field as knots
    return "location", [fix]


def _info(ctx: Context) -> Result:
    """0x94: one information item selected by a sub-type byte."""
    r = ctx.reader
    sub = r.u8()
    handler = _INFO.get(sub)
    if handler is None:
        ctx.details["info_type"] = sub
        return "other", []
    fix = bare_fix()
    handler(ctx, fix)
    return "heartbeat", [fix]


def _info_adc(ctx: Context, fix: Fix) -> None:
    fix.attributes["adc1"] = ctx.reader.u16() * 0.01


def _info_alarm_status(ctx: Context, fix: Fix) -> None:
    """``ALM1=C5;ALM2=CC;ALM3=5C;STA1=C0;DYD=01;…`` (hex values)."""
    names = {
        "ALM1": "alarm1Status",
        "ALM2": "alarm2Status",
        "ALM3": "alarm3Status",
        "STA1": "otherStatus",
        "DYD": "engineStatus",
    }
    for item in ctx.reader.rest().decode("ascii", "replace").split(";"):
        key, _, value = item.partition("=")
        if key in names and re.fullmatch(r"[0-9A-Fa-f]+", value):
            fix.attributes[names[key]] = int(value, 16)


def _info_door(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    if r.remaining >= 7:
        fix.attributes["deviceTime"] = r.time().isoformat()
    flags = r.u8()
    fix.attributes["door"] = bool(flags & 0x01)
    fix.attributes["io1"] = bool(flags & 0x04)


def _info_iccid(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    r.skip(8 + 8)  # IMEI, IMSI
    fix.attributes["iccid"] = r.take(10).hex().replace("f", "")


def _info_network(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    if r.remaining == 1:
        fix.attributes["networkTechnology"] = "4G" if r.u8() > 0 else "2G"
    elif r.remaining == 2:
        fix.attributes["power"] = r.u16() / 100


_FUEL = re.compile(r"!AIOIL,\d+,\d+\.\d+,(\d+\.\d+),[^,]+,\d{4},(\d+\.\d+),[01],\d+,[0-9A-Fa-f]{2}")


def _info_fuel(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    if r.peek() != ord("!"):
        r.skip(6)  # time
    match = _FUEL.fullmatch(r.rest().decode("ascii", "replace"))
    if match:
        fix.attributes["temp1"] = float(match.group(1))
        fix.attributes["fuel"] = float(match.group(2))


def _info_reader(ctx: Context, fix: Fix) -> None:
    """An external reader: text (``RFID:…``) or a framed 4-byte key."""
    r = ctx.reader
    if chr(r.peek()).isalpha():
        fix.attributes["serial"] = r.rest().decode("ascii", "replace").strip()
    else:
        r.skip(2)  # header, type
        fix.attributes["driverUniqueId"] = r.take(4).hex()


def _info_climate(ctx: Context, fix: Fix) -> None:
    r = ctx.reader
    fix.attributes["temp1"] = r.s32() / 10
    fix.attributes["humidity"] = r.s32() / 10


_INFO: dict[int, Callable[[Context, Fix], None]] = {
    0x00: _info_adc,
    0x04: _info_alarm_status,
    0x05: _info_door,
    0x0A: _info_iccid,
    0x0B: _info_network,
    0x0D: _info_fuel,
    0x1B: _info_reader,
    0x1E: _info_climate,
}


def _serial(ctx: Context) -> Result:
    """0x9B: data from a serial peripheral; text when printable, hex otherwise."""
    r = ctx.reader
    r.skip(1)  # external device type
    data = r.rest()
    fix = bare_fix()
    printable = all(32 <= b < 127 or b in (9, 10, 13) for b in data)
    fix.attributes["result"] = data.decode("ascii").strip() if printable else data.hex()
    return "response", [fix]


# ---------------------------------------------------------------------------------------------------
# 0x70 modular GPS

_MODULE_EVENTS = {
    0x10: DOOR,
    0x12: Alarm.REMOVING,
    0x14: Alarm.GEOFENCE_ENTER,
    0x15: Alarm.GEOFENCE_EXIT,
    0x16: TEMPERATURE,
    0x1A: Alarm.LOW_BATTERY,
    0x1B: Alarm.OVERSPEED,
    0x1C: POWER_ON,
    0x1D: Alarm.POWER_OFF,
    0x20: Alarm.VIBRATION,
    0x21: Alarm.POWER_CUT,
    0x23: Alarm.TAMPERING,
}


def _modular(ctx: Context) -> Result:
    """0x70: a list of typed modules (``type u16, length u16, value``)."""
    r = ctx.reader
    fix = bare_fix()
    while r.remaining >= 4:
        module, size = r.u16(), r.u16()
        value = r.take(size)
        fix = _module(module, value, fix)
    _ack(ctx)
    return kind([fix]), [fix]


def _module(module: int, value: bytes, fix: Fix) -> Fix:
    num = int.from_bytes(value, "big")
    if module == 0x33 and len(value) >= 18 and int.from_bytes(value[0:4], "big"):
        return _module_gps(value, fix)
    if module == 0x03:
        fix.attributes["iccid"] = value.hex()
    elif module == 0x09 and value:
        fix.satellites = fix.attributes["sat"] = value[0]
    elif module == 0x0A and value:
        fix.attributes["satVisible"] = value[0]
    elif module == 0x11 and len(value) >= 10:
        cell = {
            "mobileCountryCode": num >> 64,
            "mobileNetworkCode": (num >> 48) & 0xFFFF,
            "locationAreaCode": (num >> 32) & 0xFFFF,
            "cellId": (num >> 8) & 0xFFFFFF,
            "signalStrength": num & 0xFF,
        }
        add_cells(fix, [cell])
    elif module == 0x18 and len(value) == 2:
        fix.attributes["battery"] = num * 0.01
    elif module == 0x28 and len(value) == 1:
        fix.attributes["hdop"] = num * 0.1
    elif module == 0x29 and len(value) == 4:
        fix.attributes["index"] = num
    elif module == 0x2A and len(value) == 1:
        fix.attributes["door"] = num & 0x0F > 0
        fix.attributes["tamper"] = num >> 4 > 0
    elif module == 0x2B and len(value) == 1:
        fix.attributes["bootReason"] = num
    elif module == 0x2E and len(value) == 4:
        fix.attributes["odometer"] = int.from_bytes(value, "little")
    elif module == 0x34 and value:
        add_alarm(fix, _MODULE_EVENTS.get(value[0]))
        fix.attributes["event"] = value[0]
    elif module == 0x7F and len(value) >= 14:
        _module_tag(value, fix)
    return fix


def _module_gps(value: bytes, fix: Fix) -> Fix:
    """Module 0x33: epoch seconds, satellites, altitude, then the usual lat/lon/speed/flags."""
    time = dt.datetime.fromtimestamp(int.from_bytes(value[0:4], "big"), dt.UTC)
    lat = int.from_bytes(value[7:11], "big") / 1_800_000
    lon = int.from_bytes(value[11:15], "big") / 1_800_000
    gps = gps_fix(time, lat, lon, int.from_bytes(value[16:18], "big"), value[15], value[4])
    gps.altitude_m = float(int.from_bytes(value[5:7], "big", signed=True))
    gps.alarms |= fix.alarms
    gps.attributes = fix.attributes | gps.attributes
    gps.battery_pct = fix.battery_pct
    return gps


def _module_tag(value: bytes, fix: Fix) -> None:
    fix.attributes["tag1Id"] = value[0:6].hex()
    fix.attributes["tag1Battery"] = int.from_bytes(value[6:8], "big") / 1000
    fix.attributes["tag1BatteryLevel"] = value[8]
    fix.attributes["tag1Temp"] = int.from_bytes(value[9:11], "big", signed=True) / 10
    fix.attributes["tag1Humidity"] = int.from_bytes(value[11:13], "big", signed=True)
    fix.attributes["tag1Status"] = value[13]


# ---------------------------------------------------------------------------------------------------
# 0x8C OBD, 0xF2 peripherals, 0xF1 status list

_OBD_KEYS = {
    0x28: ("odometer", 0.01),
    0x2B: ("fuel", 0.01),
    0x2D: ("coolantTemp", 0.01),
    0x35: ("obdSpeed", 0.01),
    0x36: ("rpm", 0.01),
    0x47: ("fuelUsed", 0.01),
    0x49: ("hours", 0.01),
}


def _obd(ctx: Context) -> Result:
    """0x8C (FM08ABC): time, ignition, ``key=hexvalue`` pairs, then 12 bytes of GPS we do not use."""
    r = ctx.reader
    fix = bare_fix(r.time())
    fix.attributes["ignition"] = r.u8() > 0
    text = r.take(max(0, r.remaining - 12)).decode("ascii", "replace")
    for pair in text.split(","):
        key, _, value = pair.partition("=")
        if len(key) < 2 or not value or not re.fullmatch(r"[0-9A-Fa-f]+", key[:2]):
            continue
        code = int(key[:2], 16)
        if code == 0x4A:
            fix.attributes["vin"] = value
        elif code in _OBD_KEYS and re.fullmatch(r"[0-9A-Fa-f]+", value):
            name, scale = _OBD_KEYS[code]
            fix.attributes[name] = int(value, 16) * scale
    return "location", [fix]


def _peripheral(ctx: Context) -> Result:
    """0xF2 (VL842): time, then status items; 0x000A is a Bluetooth event, 0x000C an external battery."""
    r = ctx.reader
    fix = bare_fix(dt.datetime.fromtimestamp(r.u32(), dt.UTC))
    while r.remaining > 0:
        item = r.u16()
        if item == 0x000A:
            size = r.u16()
            r.skip(1)  # MAC address type
            fix.attributes["mac"] = r.take(6).hex()
            event, data = r.u8(), r.u8()
            fix.attributes["event"] = event
            if event:
                fix.attributes["eventData"] = data
            fix.attributes["dataType"] = r.u8()
            fix.attributes["dataDetails"] = r.take(size - 10).hex()
        elif item == 0x000C:
            r.skip(1)  # length
            fix.attributes["externalBatteryLevel"] = r.u8()
            if r.u8() > 0:
                fix.attributes["externalBatteryCharge"] = True
            fix.attributes["externalBatteryCycles"] = r.u16()
            r.skip(6)
        else:
            size = r.u8()
            r.skip(size or r.u8())
    _ack(ctx)
    return "location", [fix]


def _status_list(ctx: Context) -> Result:
    """0xF1: epoch time, then ``id u16, length u8, value`` items; item 5 is the supply voltage."""
    r = ctx.reader
    fix = bare_fix(dt.datetime.fromtimestamp(r.u32(), dt.UTC))
    while r.remaining >= 3:
        item, size = r.u16(), r.u8()
        if size > r.remaining:
            break
        value = int.from_bytes(r.take(size), "big")
        if item == 0x0005:
            fix.attributes["power"] = value / 100
    return "heartbeat", [fix]


# ---------------------------------------------------------------------------------------------------
# AZ735 (0x32, 0x33) and 0x38


def _az735(ctx: Context) -> Result:
    """0x32 report / 0x33 alarm: time, length-led GPS and cell, skipped lists, a status byte."""
    r = ctx.reader
    time = r.time()
    size = r.u8()
    if size:
        sats = r.u8() & 0x0F
        lat, lon = r.u32() / 1_800_000, r.u32() / 1_800_000
        speed = r.u8()
        fix = gps_fix(time, lat, lon, r.u16(), speed, sats)
    else:
        fix = bare_fix(time)
    size = r.u8()
    if size:
        start = r.pos
        add_cells(fix, [read_cell(r)])
        r.skip(max(0, size - 1 - (r.pos - start)))
        fix.attributes["rssi"] = r.u8()
    r.skip(r.u8())  # further cells
    r.skip(r.u8())  # Wi-Fi access points
    status = r.u8()
    fix.attributes["status"] = status
    if ctx.frame.proto == 0x33:
        _az735_alarm(fix, status)
    r.skip(r.u8())  # reserved extension
    _ack(ctx, extended=True)
    return kind([fix]), [fix]


def _az735_alarm(fix: Fix, status: int) -> None:
    if status in (0xA0, 0xA1):
        fix.attributes["armed"] = status == 0xA0
    elif status in (0xA2, 0xA3):
        fix.alarms.add(Alarm.LOW_BATTERY)
    elif status == 0xA4:
        fix.alarms.add(Alarm.GENERAL)
    elif status == 0xA5:
        fix.alarms.add(DOOR)


def _gps_lbs_8(ctx: Context) -> Result:
    """0x38: GPS, upload mode, re-upload flag, then a typed cell (type ≥ 3: 4G sizes)."""
    r = ctx.reader
    fix = read_gps(r)
    r.skip(1)  # upload mode
    if r.u8() > 0:
        mark_archive(fix)
    cell_type = r.u8()
    wide = cell_type >= 3
    add_cells(fix, [read_cell(r, lac_size=4 if wide else 2, cid_size=8 if wide else 3)])
    r.skip(2 if wide else 1)  # signal strength
    return kind([fix]), [fix]


_EXTENDED: dict[int, Callable[[Context], Result]] = {
    0x21: _string_info,
    0x32: _az735,
    0x33: _az735,
    0x38: _gps_lbs_8,
    0x70: _modular,
    0x8C: _obd,
    0x94: _info,
    0x9B: _serial,
    0xF1: _status_list,
    0xF2: _peripheral,
}
