"""JT/T 808 location reports (位置信息汇报, 0x0200 body): fixed part, alarm bits per model, extras."""

from __future__ import annotations

from gps_gateway.protocols.common import Alarm, Fix
from gps_gateway.protocols.jt808_extras import decode_extras
from gps_gateway.protocols.jt808_frames import Reader, read_china_time
from gps_gateway.protocols.jt808_tlv import DOOR_STATUS_MODELS, Extras, bit

# The standard's alarm word (报警标志), as far as it matters for people wearing a terminal.  Bits 16/17
# are vendor bits; Traccar reads them as tampering on generic terminals, which the captures confirm.
STANDARD_ALARMS: dict[int, str] = {
    0: Alarm.SOS,
    1: Alarm.OVERSPEED,
    5: Alarm.GPS_ANTENNA_CUT,
    6: Alarm.GPS_ANTENNA_CUT,  # antenna short-circuit: the receiver is as blind as with a cut cable
    7: Alarm.LOW_POWER,  # main supply under-voltage
    8: Alarm.POWER_OFF,
    15: Alarm.VIBRATION,
    16: Alarm.TAMPERING,
    17: Alarm.TAMPERING,
    20: Alarm.GEOFENCE,
    28: Alarm.MOVEMENT,
}

# Wristbands and ankle tags report the strap in the vendor bits (protocols.md: 16/17 on common models).
WRISTBAND_ALARMS: dict[int, str] = {**STANDARD_ALARMS, 16: Alarm.REMOVING, 17: Alarm.REMOVING}

# Per-model tables; a model not listed here uses STANDARD_ALARMS.  Whole tables, not overrides: padlocks
# and asset trackers reuse the low bits for something else entirely.
MODEL_ALARMS: dict[str, dict[int, str]] = {
    "G-360P": {0: Alarm.REMOVING, 1: Alarm.TAMPERING, 4: Alarm.REMOVING},  # padlocks: shackle cut / case
    "G-508P": {0: Alarm.REMOVING, 1: Alarm.TAMPERING, 4: Alarm.REMOVING},
    "AL300": {16: Alarm.MOVEMENT},
    "GL100": {16: Alarm.MOVEMENT},
    "C5": WRISTBAND_ALARMS,
    "C5L": WRISTBAND_ALARMS,
}


def alarm_table(model: str | None) -> dict[int, str]:
    return MODEL_ALARMS.get(model or "", STANDARD_ALARMS)


def alarms_from_word(word: int, model: str | None) -> set[str]:
    return {code for index, code in alarm_table(model).items() if bit(word, index)}


def read_coordinates(reader: Reader, fix: Fix, model: str | None) -> int:
    """Status word, latitude and longitude (deg × 1e6, hemisphere in the status word).  Returns status."""
    status = reader.u32()
    fix.attributes["ignition"] = bit(status, 0)
    fix.attributes["blocked"] = bit(status, 10)  # oil/circuit cut by command
    fix.attributes["charge"] = bit(status, 26)
    if model == "G1C Pro":
        fix.attributes["motion"] = bit(status, 4)
    if model in DOOR_STATUS_MODELS:
        fix.attributes["door"] = bit(status, 16)
    fix.valid = bit(status, 1)
    latitude = reader.u32() / 1_000_000
    longitude = reader.u32() / 1_000_000
    fix.latitude = -latitude if bit(status, 2) else latitude
    fix.longitude = -longitude if bit(status, 3) else longitude
    return status


def decode_location(body: bytes, model: str | None) -> tuple[Fix, list[int]]:
    """One 0x0200 body into a fix.  Also returns the ids of extras that were too short to read."""
    reader = Reader(body)
    fix = Fix(fix_time=None)
    fix.alarms |= alarms_from_word(reader.u32(), model)
    read_coordinates(reader, fix, model)
    fix.altitude_m = float(reader.s16())
    fix.speed_kmh = reader.u16() / 10.0
    fix.course = float(reader.u16())
    fix.fix_time = read_china_time(reader)
    extras = Extras(fix, model)
    if reader.remaining == 18:
        _fixed_tail(extras, reader)  # a vendor layout with no TLVs at all
    else:
        decode_extras(extras, body, reader.pos)
    return fix, extras.skipped


def _fixed_tail(extras: Extras, reader: Reader) -> None:
    reader.take(4)  # remaining battery and mileage
    extras.set("odometer", reader.u32() * 1000)
    extras.set("battery", reader.u16() / 10.0)
    reader.take(4)  # area id
    extras.set("rssi", reader.u8())
    extras.finish()
