"""The larger vendor TLV blocks of JT/T 808 location reports, and the OBD meaning of the ids.

Each block is a small format of its own (nested TLVs, comma-separated OBD text, sensor masks).  They are
read the way Traccar reads them, so the attribute names and units match what a Traccar server shows.
"""

from __future__ import annotations

from collections.abc import Callable

from gps_gateway.protocols.common import Alarm
from gps_gateway.protocols.jt808.frames import Reader
from gps_gateway.protocols.jt808.tlv import (
    ACCIDENT,
    AOVX_MODELS,
    DOOR,
    FAULT,
    HARD_ACCELERATION,
    HARD_BRAKING,
    HARD_CORNERING,
    JC_MODELS,
    LANE_CHANGE,
    TOW,
    Extras,
    Handler,
    bit,
    bits,
    handles,
    java_trim,
    latin1,
)

VENDOR: dict[int, Handler] = {}
OBD: dict[int, Handler] = {}


# --- 0xEB: nested blocks (length WORD that counts the type WORD, type WORD, value) ---------------


@handles(VENDOR, 0xEB)
def _eb(x: Extras, r: Reader, n: int) -> None:
    head = r.peek(2)
    if len(head) == 2 and int.from_bytes(head, "big") > 200 and (n - 3) % 5 == 0:
        mcc, mnc = r.u16(), r.u8()
        while r.remaining >= 5:
            x.cells.append({"mcc": mcc, "mnc": mnc, "lac": r.u16(), "cid": r.u16(), "rssi": r.u8()})
    elif all(0x20 <= b < 0x7F for b in r.data):
        x.set("timezone", r.rest().decode("ascii"))
    else:
        while r.remaining >= 2:
            block = Reader(r.take(r.u16()))
            block_type = block.u16()
            handler = _EB_BLOCKS.get(block_type)
            if handler is not None:
                handler(x, block, len(block.data))


def _eb_fuel1(x: Extras, r: Reader, n: int) -> None:
    x.set("fuel1", r.u16() / 10.0)


def _eb_fuel2(x: Extras, r: Reader, n: int) -> None:
    x.set("fuel2", float(latin1(r.take(6))))


def _eb_volts(x: Extras, r: Reader, n: int) -> None:
    if n == 6:
        x.set("power", r.u32() / 1000.0)
    else:
        x.set("battery", r.u16() / 1000.0)


def _eb_status_alarms(x: Extras, r: Reader, n: int) -> None:
    # Active-low: a cleared bit is the alarm.  Bit 12 is the strap on the wristbands that send this.
    status = r.u32()
    if not bit(status, 0):
        x.alarm(Alarm.POWER_OFF)
    if not bit(status, 12):
        x.alarm(Alarm.REMOVING)


def _eb_iccid(x: Extras, r: Reader, n: int) -> None:
    x.set("iccid", r.take(10).hex().rstrip("f"))


def _eb_wifi(x: Extras, r: Reader, n: int) -> None:
    r.u8()  # count
    fields = latin1(r.rest()).split(",")
    for i in range(len(fields) // 2):
        x.wifi.append({"macAddress": fields[2 * i], "signalStrength": int(fields[2 * i + 1])})


def _eb_motion_alarms(x: Extras, r: Reader, n: int) -> None:
    status = r.u32()
    if not bit(status, 6):
        x.alarm(Alarm.VIBRATION)
    motion = bits(status, 23, 25)
    if motion in (0, 1):
        x.set("motion", motion == 0)


def _eb_battery_alarm(x: Extras, r: Reader, n: int) -> None:
    level = r.u8()
    if level in (3, 4):
        x.alarm(Alarm.LOW_BATTERY)
    x.set("batteryAlarm", level)


def _eb_power(x: Extras, r: Reader, n: int) -> None:
    x.set("power", r.u16() / 100.0)


def _eb_cell(x: Extras, r: Reader, n: int) -> None:
    mcc, mnc, lac, cid = r.u16(), r.u8(), r.u16(), r.u32()
    x.cells.append({"mcc": mcc, "mnc": mnc, "lac": lac, "cid": cid})


def _eb_battery_level(x: Extras, r: Reader, n: int) -> None:
    x.set("batteryLevel", r.u8())


_EB_BLOCKS: dict[int, Handler] = {
    0x0001: _eb_fuel1,
    0x0023: _eb_fuel2,
    0x002D: _eb_volts,
    0x0089: _eb_status_alarms,
    0x00A8: _eb_battery_level,
    0x00B2: _eb_iccid,
    0x00B9: _eb_wifi,
    0x00C5: _eb_motion_alarms,
    0x00C6: _eb_battery_alarm,
    0x00CE: _eb_power,
    0x00D8: _eb_cell,
    0x00E1: _eb_battery_level,
}


# --- 0xE6: OBD text or temperature/humidity sensors ---------------------------------------------

_OBD_RT_FIELDS: tuple[tuple[str, type[float] | type[int]], ...] = (
    ("power", float),
    ("rpm", float),
    ("obdSpeed", float),
    ("throttle", float),
    ("engineLoad", float),
    ("coolantTemp", int),
    ("fuelConsumption", float),  # instant
    ("fuelConsumption", float),  # average: Traccar keeps the later one
    ("tripOdometer", float),
    ("obdOdometer", float),
    ("tripFuelUsed", float),
    ("fuelUsed", float),
)


def decode_obd_rt(x: Extras, text: str) -> None:
    """``$OBD-RT,<power>,<rpm>,…``: empty fields are unknown values, not zeros."""
    values = text.split(",")[1:]
    for (key, kind), value in zip(_OBD_RT_FIELDS, values, strict=False):
        if value.strip():
            try:
                x.set(key, kind(value))
            except ValueError:
                continue


@handles(VENDOR, 0xE6)
def _e6(x: Extras, r: Reader, n: int) -> None:
    if n >= 7 and r.peek(7) == b"$OBD-RT":
        decode_obd_rt(x, r.rest().decode("utf-8", "replace"))
    elif n >= 11 and n % 11 == 0:
        while r.remaining:
            index = r.u8()
            r.take(6)  # sensor MAC
            x.set(f"temp{index}", _signed_fraction(r))
            x.set(f"humidity{index}", _signed_fraction(r))


def _signed_fraction(r: Reader) -> float:
    """A signed whole byte and an unsigned 1/255 fraction byte, the sign applying to both."""
    whole, fraction = r.s8(), r.u8()
    value = abs(whole) + fraction / 255.0
    return -value if whole < 0 else value


# --- 0xE8: Jimi (JC) extended status and event codes --------------------------------------------

_JC_EVENTS: dict[int, str] = {
    0x0001: FAULT,
    0x0400: HARD_ACCELERATION,
    0x0412: HARD_ACCELERATION,
    0x0401: HARD_BRAKING,
    0x0413: HARD_BRAKING,
    0x0402: HARD_CORNERING,
    0x0414: HARD_CORNERING,
    0x0403: Alarm.OVERSPEED,
    0x0405: ACCIDENT,
    0x0416: ACCIDENT,
    0x0417: ACCIDENT,
    0x0406: Alarm.VIBRATION,
    0x0407: TOW,
    0x0408: Alarm.GEOFENCE_ENTER,
    0x0409: Alarm.GEOFENCE_EXIT,
    0x040C: DOOR,
    0x0415: LANE_CHANGE,
    0x0C01: Alarm.SOS,
    0x0C02: Alarm.LOW_POWER,
    0x0C05: Alarm.GENERAL,
    0x0C0E: Alarm.POWER_CUT,
    0x0C0F: Alarm.LOW_BATTERY,
    0x0C10: Alarm.POWER_OFF,
    0x0C12: Alarm.TAMPERING,
}


@handles(VENDOR, 0xE8)
def _e8(x: Extras, r: Reader, n: int) -> None:
    if x.model not in JC_MODELS:
        x.set("lockStatus", r.u24())
        return
    kind = r.u16()
    if kind == 0x2002:
        r.u8()
        x.set("uploadMode", r.u8())
        x.set("buffered", r.u8() == 1)
    elif kind == 0x2003:
        _jc_power(x, r)
    elif kind == 0x2005:
        r.u8()
        while r.remaining >= 3:
            item, length = r.u16(), r.u8()
            _jc_status(x, item, Reader(r.take(length)))
    elif kind in (0x0C03, 0x0C04):
        x.set("ignition", kind == 0x0C03)
    elif kind in _JC_EVENTS:
        x.alarm(_JC_EVENTS[kind])


def _jc_power(x: Extras, r: Reader) -> None:
    r.u8()
    x.set("charge", r.u8() == 1)
    level = r.u8()
    if 1 <= level <= 6:  # six bars
        x.set("batteryLevel", level * 100 // 6)
    x.set("battery", r.u16() / 100.0)
    x.set("rssi", r.u8())
    x.set("power", r.u16() / 100.0)


def _jc_status(x: Extras, item: int, r: Reader) -> None:
    if item == 0x0001:
        x.set("battery", r.u16() / 100.0)
    elif item == 0x0002:
        x.set("dataUsage", r.u32())
    elif item == 0x0003:
        x.set("batteryLevel", r.u8())
    elif item == 0x0004:
        x.set("charge", r.u8() == 0)
    elif item == 0x0005:
        x.set("iccid", r.take(10).hex()[:19])
    elif item == 0x0007:
        x.set("hdop", r.u16() / 10.0)
    elif item == 0x2001:
        x.set("power", r.u16() / 10.0)


# --- 0xF3: BLE tags on AOVX trackers, OBD items elsewhere ---------------------------------------


@handles(VENDOR, 0xF3)
def _f3(x: Extras, r: Reader, n: int) -> None:
    if x.model in AOVX_MODELS:
        _aovx_tags(x, r)
        return
    while r.remaining >= 3:
        item, length = r.u16(), r.u8()
        _obd_item(x, item, Reader(r.take(length)))


def _aovx_tags(x: Extras, r: Reader) -> None:
    mask = r.u8()
    index = 0
    while r.remaining:
        index += 1
        x.set(f"tag{index}Mac", r.take(6).hex())
        x.set(f"tag{index}Rssi", r.s8())
        if bit(mask, 0):
            x.set(f"tag{index}Name", java_trim(latin1(r.take(10))))
        if bit(mask, 1):
            r.take(2)  # firmware version
        if bit(mask, 2):
            x.set(f"tag{index}Battery", r.u16() / 1000.0)
        if bit(mask, 3):
            x.set(f"tag{index}Temp", r.s16() / 10.0)
        if bit(mask, 4):
            x.set(f"tag{index}Humidity", r.s16() / 10.0)
        for flag, size in ((5, 6), (6, 2), (7, 2)):  # accelerometer, reserved, reserved
            if bit(mask, flag):
                r.take(size)


_OBD_WORDS: dict[int, tuple[str, int, int]] = {  # item: (key, divisor, offset) of an unsigned WORD
    0x0002: ("obdSpeed", 10, 0),
    0x0003: ("rpm", 1, 0),
    0x0004: ("power", 1000, 0),
    0x0007: ("fuelConsumption", 10, 0),
    0x0008: ("engineLoad", 10, 0),
    0x0009: ("coolantTemp", 1, -40),
    0x000B: ("intakePressure", 1, 0),
    0x000C: ("intakeTemp", 1, -40),
    0x000D: ("intakeFlow", 1, 0),
    0x0100: ("tripOdometer", 10, 0),
    0x0102: ("tripFuel", 10, 0),
    0x0112: ("hardAccelerationCount", 1, 0),
    0x0113: ("hardDecelerationCount", 1, 0),
    0x0114: ("hardCorneringCount", 1, 0),
}


def _obd_item(x: Extras, item: int, r: Reader) -> None:
    if item in _OBD_WORDS:
        key, divisor, offset = _OBD_WORDS[item]
        raw = r.u16()
        x.set(key, raw + offset if divisor == 1 else raw / divisor)
    elif item == 0x0005:
        x.set("obdOdometer", r.u32() * 100)
    elif item == 0x000E:
        x.set("throttle", r.u16() * 100 // 255)
    elif item == 0x0050:
        x.set("vin", latin1(r.take(17)).rstrip("\x00"))
    elif item == 0x0051 and r.remaining:
        x.set("cvn", r.rest().hex())
    elif item == 0x0052 and r.remaining:
        x.set("calid", latin1(r.rest()).rstrip("\x00"))


# --- 0xF6: sensor block (or air pressure / IMEI by length) ---------------------------------------


@handles(VENDOR, 0xF6)
def _f6(x: Extras, r: Reader, n: int) -> None:
    aovx = x.model in AOVX_MODELS
    if not aovx and n == 2:
        x.set("airPressure", r.u16())
        return
    if not aovx and n == 8:
        x.set("imei", r.take(8).hex()[1:])  # BCD with a leading pad nibble
        return
    event = r.u8()
    x.set("event", event)
    if event == 2:
        x.set("motion", True)
    mask = r.u8()
    if bit(mask, 0):
        x.set("lightSensor", r.u16())
    if bit(mask, 1):
        x.set("temp1", r.s16() / 10.0)
    if bit(mask, 2):
        x.set("humidity", r.s16() / 10.0)
    if bit(mask, 3):
        x.set("gSensor", f"[{r.s16()},{r.s16()},{r.s16()}]")
    if bit(mask, 4):
        r.take(10)  # thresholds
    if bit(mask, 5):
        x.set("airPressure", r.u16())


# --- the OBD meaning of ids, used after a 0x80 TLV -------------------------------------------------


def _obd_simple(key: str, size: int, convert: Callable[[int], float]) -> Handler:
    def handler(x: Extras, r: Reader, n: int) -> None:
        x.set(key, convert(int.from_bytes(r.take(size), "big")))

    return handler


for _id, _key, _size, _convert in (
    (0x01, "odometer", 4, lambda v: v * 100),
    (0x02, "fuel", 2, lambda v: v / 10.0),
    (0x03, "obdSpeed", 2, lambda v: v / 10.0),
    (0x61, "power", 2, lambda v: v / 100.0),
    (0x69, "battery", 2, lambda v: v / 100.0),
    (0x80, "obdSpeed", 1, int),
    (0x81, "rpm", 2, int),
    (0x82, "power", 2, lambda v: v / 10.0),
    (0x83, "engineLoad", 1, int),
    (0x84, "coolantTemp", 1, lambda v: v - 40),
    (0x85, "fuelConsumption", 2, int),
    (0x86, "intakeTemp", 1, lambda v: v - 40),
    (0x87, "intakeFlow", 2, int),
    (0x88, "intakePressure", 1, int),
    (0x89, "throttle", 1, int),
    (0x8C, "obdOdometer", 4, lambda v: v * 100),
    (0x8D, "tripOdometer", 2, lambda v: v * 1000),
    (0x8E, "fuel", 1, int),
):
    OBD[_id] = _obd_simple(_key, _size, _convert)


@handles(OBD, 0x56)
def _obd_battery(x: Extras, r: Reader, n: int) -> None:
    r.u8()  # power level
    x.set("batteryLevel", r.u8())


@handles(OBD, 0x8B)
def _obd_vin(x: Extras, r: Reader, n: int) -> None:
    x.set("vin", latin1(r.take(17)))


@handles(OBD, 0xA0)
def _obd_dtcs(x: Extras, r: Reader, n: int) -> None:
    x.set("dtcs", latin1(r.rest()).replace(",", " "))


@handles(OBD, 0xCC)
@handles(VENDOR, 0xCC)
def _iccid_text(x: Extras, r: Reader, n: int) -> None:
    x.set("iccid", latin1(r.take(20)))
