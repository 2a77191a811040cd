"""JT/T 808 messages outside the location report: transparent data (0x0900), e-lock locations
(0x5501/0x5502), command results, terminal attributes, driver cards, acceleration samples.

Most of them carry facts but no position: they come back as a ``Fix`` without time or coordinates (the
gateway keeps the device's last position), the facts in ``attributes`` under Traccar's names.
"""

from __future__ import annotations

import datetime as dt

from gps_gateway.protocols.common import KNOT_KMH, Alarm, Fix, FrameError, utc
from gps_gateway.protocols.jt808.extras import STANDARD
from gps_gateway.protocols.jt808.extras_vendor import decode_obd_rt
from gps_gateway.protocols.jt808.frames import Header, Reader, bcd_digits, read_china_time
from gps_gateway.protocols.jt808.location import read_coordinates
from gps_gateway.protocols.jt808.tlv import (
    ACCIDENT,
    DOOR,
    FATIGUE_DRIVING,
    HARD_ACCELERATION,
    HARD_BRAKING,
    HARD_CORNERING,
    IDLE,
    LANE_CHANGE,
    POWER_RESTORED,
    Extras,
    bit,
    java_trim,
    latin1,
)


def facts(**attributes: object) -> Fix:
    """A fix that carries facts only (no time, no coordinates)."""
    return Fix(fix_time=None, attributes=dict(attributes))


# --- small text and status messages --------------------------------------------------------------


def command_result(body: bytes) -> Fix:
    """0x0701 (电子运单 in the standard; these terminals answer commands with it): DWORD length, text."""
    reader = Reader(body)
    return facts(result=latin1(reader.take(reader.u32())))


def text_report(body: bytes) -> Fix:
    """0x6006: an encoding byte, then the text (GBK)."""
    return facts(result=body[1:].decode("gbk", "replace"))


def text_response(body: bytes) -> Fix:
    """0x1300: the serial it answers, then UTF-16BE text."""
    reader = Reader(body)
    reader.u16()
    return facts(result=java_trim(reader.rest().decode("utf-16-be", "replace")))


def terminal_attributes(body: bytes, header: Header) -> Fix:
    """0x0107 terminal attributes: only the SIM's ICCID is worth keeping on a position."""
    reader = Reader(body)
    reader.u16()  # terminal type
    reader.take(5)  # maker
    reader.take(30 if header.version_2019 else 20)  # model
    reader.take(30 if header.version_2019 else 7)  # terminal id
    return facts(iccid=reader.take(10).hex())


def driver_identity(body: bytes) -> Fix:
    """0x0702 driver card (驾驶员身份信息).  A card pulled out (status 2) ends after the time."""
    reader = Reader(body)
    fix = facts(cardStatus=reader.u8())
    fix.attributes["deviceTime"] = read_china_time(reader).isoformat()
    if reader.remaining:
        fix.attributes["cardResult"] = reader.u8()
        fix.attributes["driver"] = latin1(reader.take(reader.u8()))
        fix.attributes["cardCode"] = java_trim(latin1(reader.take(20)))
        fix.attributes["cardAgency"] = latin1(reader.take(reader.u8()))
        fix.attributes["cardValidity"] = reader.take(4).hex()
    return fix


def acceleration(body: bytes) -> Fix:
    """0x2070: samples of time + three signed-magnitude axes."""
    reader = Reader(body)
    samples = []
    while reader.remaining:
        reader.take(6)  # sample time
        samples.append([_signed_magnitude(reader.u16()) for _ in range(3)])
    return facts(gSensor=str(samples).replace(" ", ""))


def _signed_magnitude(word: int) -> int:
    return -(word & 0x7FFF) if bit(word, 15) else word & 0x7FFF


def battery_report(body: bytes) -> Fix:
    """0x0210 with a 7-byte body: battery level and the terminal's time, no position."""
    reader = Reader(body)
    fix = facts(batteryLevel=reader.u8())
    fix.battery_pct = fix.attributes["batteryLevel"]
    fix.attributes["deviceTime"] = read_china_time(reader).isoformat()
    return fix


def parameters(body: bytes) -> dict[int, int | str]:
    """0x0104 parameter query response: the values by parameter id (numbers by size, else GBK text)."""
    reader = Reader(body)
    reader.u16()  # the serial it answers
    values: dict[int, int | str] = {}
    for _ in range(reader.u8()):
        param, raw = reader.u32(), reader.take(reader.u8())
        values[param] = int.from_bytes(raw, "big") if len(raw) in (1, 2, 4) else raw.decode("gbk", "replace")
    return values


# --- e-lock locations (0x5501, 0x5502 blind-area) ------------------------------------------------


def lock_location(body: bytes, blind: bool) -> Fix:
    """JT701-style binary location inside a JT/T 808 frame: BCD date and ddmm.mmmm coordinates in UTC."""
    reader = Reader(body)
    digits = bcd_digits(reader.take(6))
    day, month, year, hour, minute, second = (int(digits[i : i + 2]) for i in range(0, 12, 2))
    fix = Fix(fix_time=utc(2000 + year, month, day, hour, minute, second), archive=blind)
    latitude = _degrees_minutes(int(bcd_digits(reader.take(4))))
    lon_and_flags = reader.take(5)
    flags = lon_and_flags[4]  # nine digits of longitude, then the flags in the low nibble
    longitude = _degrees_minutes(int(bcd_digits(lon_and_flags[:4])) * 10 + _bcd_nibble(flags >> 4))
    fix.valid = bit(flags, 0)
    fix.latitude = latitude if bit(flags, 1) else -latitude
    fix.longitude = longitude if bit(flags, 2) else -longitude
    fix.speed_kmh = int(bcd_digits(reader.take(1))) * KNOT_KMH  # Traccar reads this field as knots
    fix.course = reader.u8() * 2.0
    _lock_status(fix, reader)
    _lock_extras(Extras(fix, None), reader)
    return fix


def _bcd_nibble(nibble: int) -> int:
    if nibble > 9:
        raise FrameError(f"not BCD: {nibble:x}")
    return nibble


def _degrees_minutes(raw: int) -> float:
    return raw // 1_000_000 + (raw % 1_000_000) / 10_000 / 60


def _lock_status(fix: Fix, reader: Reader) -> None:
    attrs = fix.attributes
    attrs["rssi"] = reader.u8()
    fix.satellites = attrs["sat"] = reader.u8()
    attrs["odometer"] = reader.u32() * 1000
    battery = reader.u8()
    if battery <= 100:
        fix.battery_pct = attrs["batteryLevel"] = battery
    elif battery in (0xAA, 0xAB):  # charging, level unknown
        attrs["charge"] = True
    cid, lac = reader.u32(), reader.u16()
    if cid and lac:
        attrs["network"] = {"cellTowers": [{"cid": cid, "lac": lac}]}
    product, status, alarms = reader.u8(), reader.u16(), reader.u16()
    if product in (1, 2) and bit(alarms, 0):
        fix.alarms.add(Alarm.LOW_POWER)
    elif product == 3:
        attrs["blocked"] = bit(status, 5)
        lock_alarms = {0: Alarm.OVERSPEED, 1: Alarm.LOW_POWER, 2: Alarm.VIBRATION, 3: Alarm.LOW_BATTERY}
        lock_alarms |= {5: Alarm.GEOFENCE_ENTER, 6: Alarm.GEOFENCE_EXIT}
        fix.alarms |= {code for index, code in lock_alarms.items() if bit(alarms, index)}
    attrs["status"] = status


def _lock_extras(extras: Extras, reader: Reader) -> None:
    attrs = extras.fix.attributes
    while reader.remaining >= 2:
        tlv_id, value = reader.u8(), Reader(reader.take(reader.u8()))
        if tlv_id == 0x02:
            extras.fix.altitude_m = float(value.s16())
        elif tlv_id == 0x10:
            attrs["wakeSource"] = value.u8()
        elif tlv_id == 0x0B:
            STANDARD[0x0B](extras, value, len(value.data))  # the same lock TLV as in 0x0200
        elif tlv_id == 0x0C:
            x, y, z = (_twos_word(value.u16()) for _ in range(3))
            attrs["tilt"] = f"[{x},{y},{z}]"
        elif tlv_id == 0xFC:
            attrs["geofence"] = value.u8()


def _twos_word(word: int) -> int:
    return word - 0x10000 if word > 0x8000 else word


# --- lock replies in ASCII -----------------------------------------------------------------------


def lock_time_reply(sentence: str, now: dt.datetime) -> bytes:
    """The answer to ``(…,BASE,2,TIME)``: the same sentence with the UTC time filled in."""
    return sentence.replace("TIME", now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")).encode("ascii")


# --- 0x0900 transparent data ---------------------------------------------------------------------


def transparent(body: bytes, model: str | None) -> Fix | None:
    """0x0900 (数据上行透传): the first byte says what the payload is."""
    reader = Reader(body)
    kind = reader.u8()
    if kind == 0x40:
        text = java_trim(latin1(reader.rest()))
        if text.startswith("GTSL"):
            fields = text.split("|")
            return facts(driverUniqueId=fields[4]) if len(fields) > 4 else None
        return facts(data=text)
    if kind == 0x41:
        fix = facts()
        decode_obd_rt(Extras(fix, model), java_trim(latin1(reader.rest())))
        return fix
    if kind == 0xF0:
        return _obd_report(reader, model)
    if kind == 0xFF:
        return _plain_fix(reader)
    if kind == 0xF3:
        return _collision(reader)
    if kind in (0x53, 0x54):
        return _sensor_fix(reader, model, tags=kind == 0x53)
    return None


def _plain_fix(reader: Reader) -> Fix:
    fix = Fix(fix_time=read_china_time(reader), valid=True)
    fix.latitude = int.from_bytes(reader.take(4), "big", signed=True) / 1_000_000
    fix.longitude = int.from_bytes(reader.take(4), "big", signed=True) / 1_000_000
    fix.altitude_m = float(reader.s16())
    fix.speed_kmh = reader.u16() / 10.0
    fix.course = float(reader.u16())
    return fix


def _collision(reader: Reader) -> Fix:
    fix = facts()
    while reader.remaining > 4:
        item, value = reader.u16(), Reader(reader.take(reader.u16()))
        if item == 0x0002:
            fix.attributes["collision"] = value.u16() / 256.0 / 100.0
        elif item == 0x0006:
            fix.attributes["deviceTime"] = read_china_time(value).isoformat()
    return fix


def _sensor_fix(reader: Reader, model: str | None, *, tags: bool) -> Fix:
    """GL100-style BLE tag (0x53) or sensor samples (0x54) after a location."""
    fix = Fix(fix_time=None)
    read_coordinates(reader, fix, model)
    fix.altitude_m = float(reader.s16())
    fix.speed_kmh = reader.u16() / 10.0
    fix.course = float(reader.u16())
    fix.fix_time = read_china_time(reader)
    attrs = fix.attributes
    if tags:
        reader.u8()  # nodes across all sub-packages
        while reader.remaining:
            index = reader.u8() + 1
            attrs[f"tag{index}Mac"] = reader.take(6).hex()
            attrs[f"tag{index}Rssi"] = reader.s8()
            attrs[f"tag{index}Data"] = reader.take(reader.u8()).hex()
        return fix
    while reader.remaining:
        mask = reader.u16()
        reader.take(6)  # sample time
        if bit(mask, 0):
            attrs["lightSensor"] = reader.u16()
        if bit(mask, 1):
            attrs["deviceTemp"] = reader.s16() / 10.0
            attrs["humidity"] = reader.s16() / 10.0
        if bit(mask, 2):
            attrs["temp3"] = reader.s16() / 10.0
        if bit(mask, 3):
            reader.take(6)  # acceleration
        if bit(mask, 4):
            attrs["airPressure"] = reader.u16()
    return fix


# --- 0x0900 type 0xF0: OBD box reports with a position at the end ----------------------------------

_OBD_EVENT_ALARMS: dict[int, str] = {
    0x01: POWER_RESTORED,
    0x02: Alarm.POWER_CUT,
    0x0E: IDLE,
    0x1A: HARD_ACCELERATION,
    0x1B: HARD_BRAKING,
    0x1C: HARD_CORNERING,
    0x1D: LANE_CHANGE,
    0x1E: LANE_CHANGE,
    0x1F: LANE_CHANGE,
    0x23: FATIGUE_DRIVING,
    0x25: Alarm.OVERSPEED,
    0x26: ACCIDENT,
    0x27: ACCIDENT,
    0x28: ACCIDENT,
    0x31: DOOR,
    0x32: DOOR,
}

_OBD_DRIVING_EVENTS = {51: HARD_ACCELERATION, 52: HARD_BRAKING, 53: HARD_CORNERING, 54: LANE_CHANGE}
_OBD_DRIVING_EVENTS[56] = ACCIDENT


def _obd_report(reader: Reader, model: str | None) -> Fix | None:
    time = read_china_time(reader)
    fix = facts()
    fix.archive = reader.u8() > 0
    reader.u8()  # vehicle type
    subtype = reader.u8()
    if subtype == 0x01:
        for _ in range(reader.u8()):
            item, value = reader.u16(), Reader(reader.take(reader.u8()))
            _obd_value(fix, item, value)
    elif subtype == 0x02:
        fix.attributes["dtcs"] = " ".join(_trouble_codes(reader))
    elif subtype == 0x03:
        for _ in range(reader.u8()):
            code = _OBD_EVENT_ALARMS.get(reader.u8())
            reader.take(reader.u8())
            if code:
                fix.alarms.add(code)
    elif subtype == 0x0B:
        if reader.u8() > 0:
            fix.attributes["vin"] = latin1(reader.take(17))
        return fix
    elif subtype == 0x15:
        event = int.from_bytes(reader.take(4), "big", signed=True)
        if event in _OBD_DRIVING_EVENTS:
            fix.alarms.add(_OBD_DRIVING_EVENTS[event])
        else:
            fix.attributes["event"] = event
        return fix
    elif subtype == 0x04:
        _trip(fix, reader)
        return fix
    else:
        return None
    read_coordinates(reader, fix, model)
    fix.fix_time = time
    return fix


def _trouble_codes(reader: Reader) -> list[str]:
    codes = []
    for _ in range(reader.u16()):
        reader.u32()  # system id
        for _ in range(reader.u16()):
            reader.take(8)  # code and status words
            codes.append(java_trim(latin1(reader.take(reader.u16()))))
    return codes


def _trip(fix: Fix, reader: Reader) -> None:
    finished = reader.u8() == 0x02
    fix.attributes["tripNumber"] = reader.u32()
    reader.take(6)  # start time
    if finished:
        reader.take(6 + 8 + 8 + 1)  # end time, start and end location, flags
        fix.attributes["idlingCount"] = reader.u16()
        fix.attributes["idlingTime"] = reader.u16()
        fix.attributes["tripOdometer"] = reader.u16() * 100
        fix.attributes["tripFuel"] = reader.u16() / 100.0


def _scaled(key: str, size: int, divisor: int = 1, *, times: int = 1, minus: int = 0) -> _ObdRule:
    return key, size, divisor, times, minus


_ObdRule = tuple[str, int, int, int, int]  # key, size, divisor, multiplier, offset
_OBD_VALUES: dict[int, _ObdRule] = {
    0x0102: _scaled("odometer", 4, times=100),
    0x0528: _scaled("odometer", 4, times=100),
    0x0546: _scaled("odometer", 4, times=100),
    0x0103: _scaled("fuel", 4, 100),
    0x0111: _scaled("fuelTemp", 1, minus=40),
    0x012E: _scaled("oilLevel", 2, 10),
    0x052A: _scaled("fuel", 2, 100),
    0x0105: _scaled("fuelUsed", 4, 100),
    0x052C: _scaled("fuelUsed", 4, 100),
    0x014A: _scaled("fuelConsumption", 2, 100),
    0x0537: _scaled("fuelConsumption", 2, 100),
    0x0538: _scaled("fuelConsumption", 2, 100),
    0x0539: _scaled("fuelConsumption", 2, 100),
    0x052B: _scaled("fuel", 1),
    0x052D: _scaled("coolantTemp", 1, minus=40),
    0x052E: _scaled("airTemp", 1, minus=40),
    0x0530: _scaled("power", 2, 1000),
    0x0535: _scaled("obdSpeed", 2, 10),
    0x0536: _scaled("rpm", 2),
    0x053D: _scaled("intakePressure", 2, 10),
    0x0544: _scaled("liquidLevel", 1),
    0x0547: _scaled("throttle", 1),
    0x0548: _scaled("throttle", 1),
}


def _obd_value(fix: Fix, item: int, value: Reader) -> None:
    if item == 0xFEEC:
        fix.attributes["vin"] = latin1(value.rest())
        return
    if item not in _OBD_VALUES:
        if len(value.data) in (1, 2, 4):  # unknown items keep their number, as Traccar's io<id>
            fix.attributes[f"io{item}"] = int.from_bytes(value.data, "big")
        return
    key, size, divisor, times, minus = _OBD_VALUES[item]
    raw = int.from_bytes(value.take(size), "big") * times - minus
    fix.attributes[key] = raw / divisor if divisor != 1 else raw
