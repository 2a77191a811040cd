"""JT/T 808 location reports (位置信息汇报, 0x0200 body): fixed part, alarm bits per model, extras."""

from __future__ import annotations

import struct

from gps_gateway.protocols.common import Alarm, Fix, FrameError
from gps_gateway.protocols.jt808.extras import decode_extras
from gps_gateway.protocols.jt808.frames import Reader, china_time
from gps_gateway.protocols.jt808.tlv import DOOR_STATUS_MODELS, Extras, bit

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

# Wristbands and ankle tags report the strap in the vendor bits, 16/17 on common models (docs/protocols.md,
# "Alarms").
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
    if not word:
        return set()
    return {code for index, code in alarm_table(model).items() if word >> index & 1}


def read_coordinates(reader: Reader, fix: Fix, model: str | None) -> int:
    """Status word, latitude and longitude (deg × 1e6, hemisphere in the status word).  Returns status."""
    status = reader.u32()
    apply_coordinates(fix, status, reader.u32(), reader.u32(), model)
    return status


def apply_coordinates(fix: Fix, status: int, latitude_e6: int, longitude_e6: int, model: str | None) -> None:
    attributes = fix.attributes
    attributes["ignition"] = bool(status & 1)
    attributes["blocked"] = bool(status >> 10 & 1)  # oil/circuit cut by command
    attributes["charge"] = bool(status >> 26 & 1)
    if model == "G1C Pro":
        attributes["motion"] = bit(status, 4)
    if model in DOOR_STATUS_MODELS:
        attributes["door"] = bit(status, 16)
    fix.valid = bool(status & 2)
    latitude = latitude_e6 / 1_000_000
    longitude = longitude_e6 / 1_000_000
    fix.latitude = -latitude if status & 4 else latitude
    fix.longitude = -longitude if status & 8 else longitude


# Alarm word, status word, latitude, longitude, altitude, speed, course; the BCD time follows.
_FIXED_PART = struct.Struct(">IIIIhHH")
FIXED_LENGTH = _FIXED_PART.size + 6


def decode_location(body: bytes, model: str | None) -> tuple[Fix, list[int]]:
    """One 0x0200 body into a fix.  Also returns the ids of extras that were too short to read."""
    if len(body) < FIXED_LENGTH:
        raise FrameError(f"truncated: a location body needs {FIXED_LENGTH} bytes, have {len(body)}")
    # One struct call for the fixed 28 bytes: the gateway decodes one of these per fix.
    word, status, latitude, longitude, altitude, speed, course = _FIXED_PART.unpack_from(body)
    fix = Fix(fix_time=None)
    if word:
        fix.alarms |= alarms_from_word(word, model)
    apply_coordinates(fix, status, latitude, longitude, model)
    fix.altitude_m = float(altitude)
    fix.speed_kmh = speed / 10.0
    fix.course = float(course)
    fix.fix_time = china_time(body[22:28])
    extras = Extras(fix, model)
    remaining = len(body) - FIXED_LENGTH
    if remaining == 18:
        _fixed_tail(extras, Reader(body, FIXED_LENGTH))  # a vendor layout with no TLVs at all
    elif remaining >= 2:
        decode_extras(extras, body, FIXED_LENGTH)
    else:
        extras.finish()  # no TLVs: what the walk would have done with nothing to walk
    return fix, extras.skipped


def _fixed_tail(extras: Extras, reader: Reader) -> None:
    reader.take(4)  # remaining battery and mileage
    extras.set("odometer", reader.u32() * 1000)
    extras.set("battery", reader.u16() / 10.0)
    reader.take(4)  # area id
    extras.set("rssi", reader.u8())
    extras.finish()
