"""JT/T 808 location extras (位置附加信息): the TLVs after the 28 fixed bytes of a 0x0200 body.

Values land in ``Fix.attributes`` under Traccar's attribute names and units (``odometer`` in metres,
``power``/``battery`` in volts, ``batteryLevel`` in percent, …) so that devices set up for a Traccar
server read the same here.  Ids 0x01-0x3F are the standard's; the rest are vendor extensions, several
of which mean different things on different terminals, hence the length checks and the model switches.
The larger vendor blocks (0xE6, 0xE8, 0xEB, 0xF3, 0xF6, OBD) are in ``jt808_extras_vendor``.
"""

from __future__ import annotations

from gps_gateway.protocols.common import Alarm, FrameError
from gps_gateway.protocols.jt808.extras_vendor import OBD, VENDOR
from gps_gateway.protocols.jt808.frames import Reader
from gps_gateway.protocols.jt808.tlv import (
    ACCIDENT,
    AOVX_MODELS,
    DOOR,
    DOOR_STATUS_MODELS,
    HARD_ACCELERATION,
    HARD_BRAKING,
    HARD_CORNERING,
    STEP_COUNTER_MODELS,
    Extras,
    Handler,
    bit,
    handles,
    java_trim,
    latin1,
)

STANDARD: dict[int, Handler] = {}


def decode_extras(extras: Extras, body: bytes, start: int) -> None:
    """Walk the TLVs from ``start``.  A TLV whose length runs past the body ends the walk (as Traccar
    does); a TLV too short for what its id promises is skipped (and listed in ``extras.skipped``),
    keeping what was read before it."""
    reader = Reader(body, start)
    table = MAIN
    while reader.remaining >= 2:
        tlv_id, length = reader.u8(), reader.u8()
        if length > reader.remaining:
            break
        value = Reader(reader.take(length))
        if table is MAIN and tlv_id == 0x80:
            table = OBD  # an OBD block: every TLV after it uses the OBD meaning of the ids
            continue
        handler = table.get(tlv_id)
        if handler is None:
            continue
        extras.tlv_id = tlv_id
        try:
            handler(extras, value, length)
        except (FrameError, ValueError):
            extras.skipped.append(tlv_id)
    extras.finish()


# --- standard ids ----------------------------------------------------------------------------------


@handles(STANDARD, 0x01)
def _odometer(x: Extras, r: Reader, n: int) -> None:
    x.set("odometer", r.u32() * 100)  # 0.1 km → m


@handles(STANDARD, 0x02)
def _fuel(x: Extras, r: Reader, n: int) -> None:
    raw = r.u16()
    x.set("fuel", raw & 0x7FFF if bit(raw, 15) else raw / 10.0)


@handles(STANDARD, 0x06)
def _battery_level_byte(x: Extras, r: Reader, n: int) -> None:
    x.set("batteryLevel", r.u8())


@handles(STANDARD, 0x0B)
def _lock_command(x: Extras, r: Reader, n: int) -> None:
    x.set("lockCommand", r.u8())
    if 5 <= n <= 6:
        x.set("lockCard", r.u32())
    elif n >= 7:
        x.set("lockPassword", latin1(r.take(6)))
    if n % 2 == 0:
        x.set("unlockResult", r.u8())


@handles(STANDARD, 0x14)
def _video_alarm(x: Extras, r: Reader, n: int) -> None:
    x.set("videoAlarm", r.u32())


@handles(STANDARD, 0x25)
def _input(x: Extras, r: Reader, n: int) -> None:
    x.set("input", r.u32())


@handles(STANDARD, 0x2B, 0xA7)
def _adc(x: Extras, r: Reader, n: int) -> None:
    x.set("adc1", r.u16() / 100.0)
    x.set("adc2", r.u16() / 100.0)


@handles(STANDARD, 0x30)
def _rssi(x: Extras, r: Reader, n: int) -> None:
    x.set("rssi", r.u8())


@handles(STANDARD, 0x31)
def _satellites(x: Extras, r: Reader, n: int) -> None:
    x.set("sat", r.u8())


@handles(STANDARD, 0x33)
def _mode_or_lock_status(x: Extras, r: Reader, n: int) -> None:
    if n == 1:
        x.set("mode", r.u8())
        return
    text = latin1(r.rest())
    if text.startswith("*M00"):
        # "*M00,45,1138600…": the lock status block; characters 2-4 of it are the battery in 10 mV.
        x.set("battery", int(text[8:15][2:5]) / 100.0)


@handles(STANDARD, 0x51)
def _temperatures(x: Extras, r: Reader, n: int) -> None:
    if n not in (2, 16):
        return
    for index in range(1, n // 2 + 1):
        raw = r.u16()
        if raw != 0xFFFF:  # an absent probe
            x.set(f"temp{index}", (-(raw & 0x7FFF) if bit(raw, 15) else raw) / 10.0)


@handles(STANDARD, 0x56)
def _battery_tenths(x: Extras, r: Reader, n: int) -> None:
    x.set("batteryLevel", r.u8() * 10)


@handles(STANDARD, 0x57)
def _driving_alarms(x: Extras, r: Reader, n: int) -> None:
    alarms = r.u16()
    for index, code in ((8, HARD_ACCELERATION), (9, HARD_BRAKING), (10, HARD_CORNERING)):
        if bit(alarms, index):
            x.alarm(code)
    r.u16()  # external switches
    extended = r.u32()
    if x.model in DOOR_STATUS_MODELS and bit(extended, 16):
        x.alarm(DOOR)


@handles(STANDARD, 0x60)
def _event(x: Extras, r: Reader, n: int) -> None:
    event = r.u16()
    x.set("event", event)
    if 0x61 <= event <= 0x66:  # e-lock events carry the card that opened the lock
        r.take(6)
        x.set("driverUniqueId", latin1(r.take(8)))


@handles(STANDARD, 0x63)
def _locks(x: Extras, r: Reader, n: int) -> None:
    for index in range(1, n // 11 + 1):
        x.set(f"lock{index}Id", r.take(6).hex())
        x.set(f"lock{index}Battery", r.u16() / 1000.0)
        x.set(f"lock{index}Seal", r.u8() == 0x31)
        r.take(2)  # physical state, rssi


@handles(STANDARD, 0x64, 0x65)
def _adas_dms(x: Extras, r: Reader, n: int) -> None:
    r.take(5)  # alarm serial, status
    x.set("adasAlarm" if x.tlv_id == 0x64 else "dmsAlarm", r.u8())
    if n >= 47:
        x.set("alarmLabel", r.data[-16:].hex())  # the attachment label, to fetch the video later


@handles(STANDARD, 0x67)
def _password(x: Extras, r: Reader, n: int) -> None:
    x.set("password", latin1(r.take(8)))


@handles(STANDARD, 0x68)
def _battery_level_hundredths(x: Extras, r: Reader, n: int) -> None:
    x.set("batteryLevel", r.u16() / 100.0)


@handles(STANDARD, 0x69)
def _battery_volts(x: Extras, r: Reader, n: int) -> None:
    x.set("battery", r.u16() / 100.0)


@handles(STANDARD, 0x70)
def _driving_event(x: Extras, r: Reader, n: int) -> None:
    r.take(5)
    code = {0x01: HARD_ACCELERATION, 0x02: HARD_BRAKING, 0x03: HARD_CORNERING, 0x16: ACCIDENT}.get(r.u8())
    if code:
        x.alarm(code)


@handles(STANDARD, 0x77)
def _tyres(x: Extras, r: Reader, n: int) -> None:
    while r.remaining:
        index = r.u8()
        x.set(f"tire{index}SensorId", r.take(3).hex())
        x.set(f"tire{index}Pressure", (r.u16() & 0x03FF) / 40.0)
        x.set(f"tire{index}Temp", r.u8() - 50)
        x.set(f"tire{index}Status", r.u8())


@handles(STANDARD, 0x82)
def _power_tenths(x: Extras, r: Reader, n: int) -> None:
    x.set("power", r.u16() / 10.0)


@handles(STANDARD, 0x94)
def _vin(x: Extras, r: Reader, n: int) -> None:
    if n:
        x.set("vin", latin1(r.rest()))


@handles(STANDARD, 0xAC)
def _odometer_metres(x: Extras, r: Reader, n: int) -> None:
    x.set("odometer", r.u32())


@handles(STANDARD, 0xBC)
def _driver(x: Extras, r: Reader, n: int) -> None:
    x.set("driver", java_trim(latin1(r.rest())))


@handles(STANDARD, 0xBD)
def _driver_id(x: Extras, r: Reader, n: int) -> None:
    x.set("driverUniqueId", latin1(r.rest()))


@handles(STANDARD, 0xD0)
def _user_status(x: Extras, r: Reader, n: int) -> None:
    if bit(r.u32(), 3):
        x.alarm(Alarm.VIBRATION)


@handles(STANDARD, 0xD3)
def _power_d3(x: Extras, r: Reader, n: int) -> None:
    x.set("power", r.u16() / 10.0)


@handles(STANDARD, 0xD4, 0xE1, 0xE9)
def _battery_or_cells(x: Extras, r: Reader, n: int) -> None:
    # One id, four layouts: told apart by length only, as the terminals give nothing else to go on.
    if n == 1:
        level = r.u8()
        if level == 0xFF:
            x.set("charge", True)
        else:
            x.set("batteryLevel", level)
    elif x.tlv_id == 0xE1 and n >= 12 and (n - 4) % 8 == 0:
        mcc, mnc = r.u16(), r.u16()
        while r.remaining:
            lac, cid, rssi = r.u24(), r.u32(), r.u8()
            if 0 < lac <= 0xFFFF and cid <= 0xFFFFFFF:
                x.cells.append({"mcc": mcc, "mnc": mnc, "lac": lac, "cid": cid, "rssi": rssi})
    elif x.tlv_id == 0xE1 and n == 2:
        x.set("power", r.u16() / 10.0)
    else:
        x.set("driverUniqueId", str(r.u32()))


@handles(STANDARD, 0xD5)
def _lock_batteries(x: Extras, r: Reader, n: int) -> None:
    if n == 2:
        x.set("battery", r.u16() / 100.0)
        return
    for index in range(1, r.u8() + 1):
        x.set(f"lock{index}Id", r.take(5).hex())
        x.set(f"lock{index}Card", r.take(5).hex())
        x.set(f"lock{index}Battery", r.u8())
        x.set(f"lock{index}Locked", not bit(r.u16(), 5))


@handles(STANDARD, 0xDA)
def _string_lock(x: Extras, r: Reader, n: int) -> None:
    r.u16()  # string cut count
    status = r.u8()
    x.set("string", bit(status, 0))
    x.set("motion", bit(status, 2))
    x.set("cover", bit(status, 3))


@handles(STANDARD, 0xE2)
def _fuel_e2(x: Extras, r: Reader, n: int) -> None:
    if x.model != "DT800":
        x.set("fuel", r.u32() / 10.0)


@handles(STANDARD, 0xE3)
def _battery_e3(x: Extras, r: Reader, n: int) -> None:
    r.u8()
    x.set("batteryLevel", r.u8())
    x.set("battery", r.u16() / 100.0)


@handles(STANDARD, 0xE4)
def _charge_and_level(x: Extras, r: Reader, n: int) -> None:
    if r.u8() == 0:
        x.set("charge", True)
    x.set("batteryLevel", r.u8())


@handles(STANDARD, 0xE5)
def _motion(x: Extras, r: Reader, n: int) -> None:
    if n == 1:
        x.set("motion", r.u8() == 1)


@handles(STANDARD, 0xE7)
def _wristband_alarms(x: Extras, r: Reader, n: int) -> None:
    if n == 8:
        alarms = r.u16()
        if bit(alarms, 0):
            x.alarm(Alarm.VIBRATION)
        if alarms >> 1 & 0x07:
            x.alarm(Alarm.SOS)


@handles(STANDARD, 0xEC, 0xF4)
def _wifi(x: Extras, r: Reader, n: int) -> None:
    while r.remaining >= 7:
        mac = ":".join(f"{b:02x}" for b in r.take(6))
        x.wifi.append({"macAddress": mac, "signalStrength": r.s8()})


@handles(STANDARD, 0xED)
def _card(x: Extras, r: Reader, n: int) -> None:
    x.set("card", java_trim(latin1(r.rest())))


@handles(STANDARD, 0xEE)
def _radio_and_volts(x: Extras, r: Reader, n: int) -> None:
    if n == 6:
        x.set("rssi", r.u8())
        x.set("power", r.u16() / 1000.0)
        x.set("battery", r.u16() / 1000.0)
        x.set("sat", r.u8())


@handles(STANDARD, 0xF0)
def _cells_f0(x: Extras, r: Reader, n: int) -> None:
    while r.remaining >= 13:
        mcc, mnc, cid, lac = r.u16(), r.u16(), r.u32(), r.u32()
        x.cells.append({"mcc": mcc, "mnc": mnc, "lac": lac, "cid": cid, "rssi": r.u8()})


@handles(STANDARD, 0xF1)
def _power_millivolts(x: Extras, r: Reader, n: int) -> None:
    x.set("power", r.u32() / 1000.0)


@handles(STANDARD, 0xF2)
def _firmware(x: Extras, r: Reader, n: int) -> None:
    x.set("versionFw", latin1(r.rest()))


@handles(STANDARD, 0xF5)
def _illuminance(x: Extras, r: Reader, n: int) -> None:
    if n == 2:
        x.set("illuminance", r.u16())


@handles(STANDARD, 0xF7)
def _battery_f7(x: Extras, r: Reader, n: int) -> None:
    if n == 2:
        x.set("humidity", r.u16() / 10.0)
        return
    x.set("battery", r.u32() / 1000.0)
    if n >= 5 and r.u8() in (2, 3):
        x.set("charge", True)
    if n >= 6:
        x.set("batteryLevel", r.u8())


@handles(STANDARD, 0xF8)
def _f8(x: Extras, r: Reader, n: int) -> None:
    if x.model in AOVX_MODELS:
        r.take(9)  # working mode, IMEI
        x.set("iccid", r.take(10).hex())
    elif x.model in STEP_COUNTER_MODELS:
        x.set("steps", r.u16())
    else:
        x.set("temp2", r.u16() / 10.0 - 50)


@handles(STANDARD, 0xF9)
def _gnss_details(x: Extras, r: Reader, n: int) -> None:
    mask = r.u16()
    for index, size, key in ((0, 4, None), (1, 4, None), (2, 2, "hdop"), (3, 6, None), (5, 8, None)):
        if bit(mask, index):
            raw = r.take(size)
            if key:
                x.set(key, int.from_bytes(raw, "big") / 10.0)
    if bit(mask, 6):
        x.set("temp3", r.s16() / 10.0)


@handles(STANDARD, 0xFB)
def _container(x: Extras, r: Reader, n: int) -> None:
    x.set("container", latin1(r.rest()))


@handles(STANDARD, 0xFC)
def _geofence(x: Extras, r: Reader, n: int) -> None:
    x.set("geofence", r.u8())


@handles(STANDARD, 0xFE)
def _fe(x: Extras, r: Reader, n: int) -> None:
    if n == 1:
        x.set("batteryLevel", r.u8())
    elif n == 2:
        x.set("power", r.u16() / 10.0)
    elif n == 4:
        x.set("odometer", r.u32())
    else:
        if r.u8() == 0x7C:
            while r.remaining >= 2:
                sub_id, sub_length = r.u8(), r.u8()
                sub = Reader(r.take(sub_length))
                if sub_id == 0x01:
                    alarms = sub.u32()
                    codes = (HARD_ACCELERATION, HARD_BRAKING, HARD_CORNERING, ACCIDENT, Alarm.TAMPERING)
                    for index, code in enumerate(codes):
                        if bit(alarms, index):
                            x.alarm(code)
        x.set("batteryLevel", r.u8())


MAIN: dict[int, Handler] = {**STANDARD, **VENDOR}
