"""H02 (Sinotrack and many clones): ``*HQ,…#`` text frames and the ``$`` binary variant.

Pure functions over bytes.  ``split_frames`` cuts a TCP stream; ``decode`` reads one frame.  Text
positions (V1 and its many siblings) use ``ddmm.mmmm`` coordinates, or ``-dd-mm.mmmm`` and
``ddmmmmmm`` on some firmware; speed is in knots; the status word is **active low** (a clear bit
means the condition is on: bit 1 SOS, bit 19 power cut, …).

Replies: H02 devices do not wait for acknowledgements.  Like Traccar-compatible gateways we echo
the heartbeat (``*HQ,<id>,HTBT#`` for ``HTBT``/``V0``) and send nothing else; in particular no
``V4`` confirmation of positions, which only tells the device a command arrived.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from .common import KNOT_KMH, Alarm, Decoded, Fix, FrameError, FrameSplit, SessionState, Source, utc

BINARY_SHORT = 32
_BINARY_SIZES = (32, 42, 45, 46, 48)
_MARKERS = b"*$X"


# ---------------------------------------------------------------------------------------------------
# Stream splitting


def split_frames(buffer: bytes, *, max_frame: int = 1024) -> FrameSplit:
    """Text frames run from ``*`` to ``#``; binary ones (``$``, and ``X`` which we only count) have a
    fixed length, mostly 32 or 45 bytes.  Line breaks between frames are dropped without counting as junk."""
    frames: list[bytes] = []
    junk = 0
    pos = 0
    while pos < len(buffer):
        byte = buffer[pos]
        if byte in b"\r\n":
            pos += 1
            continue
        if byte not in _MARKERS:
            junk += 1
            pos += 1
            continue
        end = _text_end(buffer, pos) if byte == ord("*") else _binary_end(buffer, pos, byte)
        if end is None:
            if len(buffer) - pos > max_frame:
                junk += 1  # never completed: drop the marker and look for the next frame
                pos += 1
                continue
            break
        frames.append(buffer[pos:end])
        pos = end
    return FrameSplit(frames=frames, rest=buffer[pos:], junk=junk)


def _text_end(buffer: bytes, pos: int) -> int | None:
    end = buffer.find(b"#", pos)
    return None if end < 0 else end + 1


def _binary_end(buffer: bytes, pos: int, marker: int) -> int | None:
    """Binary frames come in a few fixed sizes (32 is the classic one; 42 holds an IMEI; 45, 46 and 48
    add extras) and the stream does not say which: take the smallest size after which the data ends
    or the next frame starts.  Devices keep one size, so this settles on the first frame."""
    available = len(buffer) - pos
    sizes = (BINARY_SHORT,) if marker == ord("X") else _BINARY_SIZES
    for size in sizes:
        if available < size:
            return None  # a longer frame may still be arriving
        if available == size or _starts_frame(buffer, pos + size):
            return pos + size
    return pos + BINARY_SHORT


def _starts_frame(buffer: bytes, pos: int) -> bool:
    return pos < len(buffer) and buffer[pos] in _MARKERS + b"\r\n"


# ---------------------------------------------------------------------------------------------------
# Decoding


def decode(frame: bytes, session: SessionState, *, now: dt.datetime | None = None) -> Decoded:
    """Decode one H02 frame.  Frames that parse but carry nothing usable (heartbeats without data,
    replies, all-empty positions) give no fixes; malformed ones raise FrameError.  ``now`` stands in
    for the fix time when a text position has no date, as Traccar does."""
    now = now or dt.datetime.now(dt.UTC)
    if frame[:1] == b"$":
        return _decode_binary(frame, session)
    if frame[:1] == b"X":
        return Decoded(session.device_id, "other", details={"binary_x": True})
    frame = frame.rstrip(b"\r\n")  # text only: binary frames may end in 0x0A as data
    if frame[:1] != b"*" or not frame.endswith(b"#"):
        raise FrameError("not an H02 frame: expected *…# or $…")
    return _decode_text(frame[1:-1].decode("ascii", "replace"), session, now)


@dataclass(slots=True)
class _Text:
    maker: str
    device_id: str | None
    kind: str
    fields: list[str]
    details: dict[str, Any] = field(default_factory=dict)


def _decode_text(body: str, session: SessionState, now: dt.datetime) -> Decoded:
    parts = body.split(",")
    if len(parts) < 3:
        raise FrameError("H02 text frame too short")
    if not (parts[0].isascii() and parts[0].isalnum()):
        raise FrameError("H02: bad maker field")
    device_id = parts[1] if parts[1].isascii() and parts[1].isdigit() else None
    text = _Text(parts[0], device_id, parts[2].upper(), parts[3:])
    if device_id:
        session.device_id = device_id
    handler = _TEXT.get(text.kind)
    if handler is None and text.kind.startswith("V"):
        handler = _position
    if handler is None:
        return Decoded(session.device_id, "other", details={"type": text.kind})
    message, fixes, reply = handler(text, now)
    return Decoded(session.device_id, message, fixes, reply, {"type": text.kind, **text.details})


Result = tuple[str, list[Fix], bytes | None]


def _heartbeat(text: _Text, now: dt.datetime) -> Result:
    reply = f"*{text.maker},{text.device_id or ''},{text.kind}#".encode("ascii")
    if text.fields and text.fields[0].isdigit():
        fix = Fix(fix_time=None, source=Source.UNKNOWN)
        _battery(fix, int(text.fields[0]))
        return "heartbeat", [fix], reply
    return "heartbeat", [], reply


def _battery(fix: Fix, pct: int) -> None:
    fix.battery_pct = fix.attributes["batteryLevel"] = pct


# Coordinates: ddmm.mmmm (degrees of any width), -dd-mm.mmmm, or ddmmmmmm (minutes ×10⁴, no point).
_COORD = re.compile(r"(?:-(\d+)-(\d+\.\d+)|(\d*)(\d\d\.\d+)|(\d+)(\d\d)(\d{4}))")
_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")
_NUMBER = re.compile(r"\d+(?:\.\d*)?")


def _coordinate(value: str, hemisphere: str, negative: str) -> float:
    match = _COORD.fullmatch(value.strip())
    if not match:
        raise ValueError(value)
    a, b, c, d, e, f, g = match.groups()
    if a is not None:
        degrees, minutes = int(a), float(b)
    elif d is not None:
        degrees, minutes = int(c or 0), float(d)
    else:
        degrees, minutes = int(e), float(f"{f}.{g}")
    result = degrees + minutes / 60
    return -result if hemisphere == negative else result


def _position(text: _Text, now: dt.datetime) -> Result:
    """V1 and siblings: time, validity, lat, lon, speed, course, [battery,] date, [SIM,] status, extras."""
    fields = list(text.fields)
    if text.kind == "V4":
        fields = _split_response(text, fields)
    if len(fields) < 8:
        raise FrameError(f"H02 {text.kind}: too few fields", reason="cut_short")
    time, validity = fields[0], fields[1]
    if validity not in ("A", "B", "V", "") and not validity.isdigit():
        return "other", [], None
    try:
        lat = _coordinate(fields[2], fields[3], "S") if fields[3] in ("N", "S") else None
        lon = _coordinate(fields[4], fields[5], "W") if fields[5] in ("E", "W") else None
    except ValueError:
        lat = lon = None
    if lat is None or lon is None or not _NUMBER.fullmatch(fields[6].strip()):
        text.details["unparsed"] = "no usable coordinates"
        return "other", [], None
    fix = Fix(
        fix_time=None,
        latitude=lat,
        longitude=lon,
        # A digit here is a coding scheme, sent only by units that report fixed positions.
        valid=validity == "A" or validity.isdigit(),
        source=Source.GNSS,
        speed_kmh=float(fields[6]) * KNOT_KMH,
        course=float(fields[7]) if _NUMBER.fullmatch(fields[7]) else 0.0,
    )
    rest = fields[8:]
    if rest and not re.fullmatch(r"\d{6}|", rest[0]) and len(rest) > 1 and re.fullmatch(r"\d{6}|", rest[1]):
        rest = rest[1:]  # an optional battery field before the date
    if not rest or not _has_status(rest[1:]):
        # Every position carries its date field (empty on some firmware) and the 8-hex-digit status
        # word; without them the message was cut short, and its time would be taken as "now".
        raise FrameError(f"H02 {text.kind}: cut short before the status word", reason="cut_short")
    date = rest[0]
    fix.fix_time = _datetime(date, time) if date else now
    if not date:
        text.details["time"] = "received"
    _status_and_extras(fix, rest[1:])
    return "location", [fix], None


def _has_status(rest: list[str]) -> bool:
    """The status word comes first, or after three SIM fields (V19), as ``_status_and_extras`` reads it."""
    return bool(rest) and (
        _HEX8.fullmatch(rest[0]) is not None or (len(rest) >= 4 and _HEX8.fullmatch(rest[3]) is not None)
    )


def _split_response(text: _Text, fields: list[str]) -> list[str]:
    """V4 (answer to a command): the answer has commas of its own, so find the time + validity pair
    that starts the position and keep what comes before as the result."""
    for index in range(1, len(fields) - 1):
        if re.fullmatch(r"\d{6}", fields[index]) and fields[index + 1] in ("A", "B", "V"):
            text.details["result"] = ",".join(fields[:index])
            return fields[index:]
    raise FrameError("H02 V4: no position after the response")


def _datetime(date: str, time: str) -> dt.datetime:
    if not re.fullmatch(r"\d{6}", date) or not re.fullmatch(r"\d{6}|", time):
        raise FrameError(f"H02: bad date/time {date!r} {time!r}")
    time = time or "000000"
    return utc(
        2000 + int(date[4:6]), int(date[2:4]), int(date[0:2]), int(time[0:2]), int(time[2:4]), int(time[4:6])
    )


def _report_time(text: _Text, date: str, time: str) -> dt.datetime | None:
    """The time of a report without position (cells, link status).  Some firmware sends seconds
    past 59 here; the report is still worth keeping, so the time is dropped, not the frame."""
    try:
        return _datetime(date, time)
    except FrameError as exc:
        text.details["bad_time"] = str(exc)
        return None


def _status_and_extras(fix: Fix, rest: list[str]) -> None:
    """Optional SIM info (three fields), the status word, then either the six-field odometer/
    temperature/fuel/altitude/LAC/CID block or free values Traccar lists as io1…ioN."""
    if len(rest) >= 4 and not _HEX8.fullmatch(rest[0]) and _HEX8.fullmatch(rest[3]):
        rest = rest[3:]  # SIM information (V19)
    if not rest or not _HEX8.fullmatch(rest[0]):
        return
    apply_status(fix, int(rest[0], 16))
    extras = rest[1:]
    if len(extras) == 6 and _is_sensor_block(extras):
        fix.attributes["odometer"] = int(extras[0])
        fix.attributes["temp1"] = int(extras[1])
        fix.attributes["fuel"] = float(extras[2])
        fix.altitude_m = float(extras[3])
        _cells(fix, [(None, None, int(extras[4], 16), int(extras[5], 16), None)])
        return
    for index, value in enumerate(extras, start=1):
        fix.attributes[f"io{index}"] = value.strip()


def _is_sensor_block(values: list[str]) -> bool:
    patterns = (r"\d+", r"-?\d+", r"\d+\.\d+", r"-?\d+", r"[0-9A-Fa-f]+", r"[0-9A-Fa-f]+")
    return all(re.fullmatch(p, v) for p, v in zip(patterns, values, strict=True))


def apply_status(fix: Fix, status: int) -> None:
    """The status word is active low.  Unlike Traccar, which keeps only the first match, every
    alarm that is on is reported, so a vibration bit cannot hide an SOS."""
    fix.attributes["status"] = status
    fix.attributes["ignition"] = bool(status & (1 << 10))
    if not status & (1 << 0):
        fix.alarms.add(Alarm.VIBRATION)
    if not status & (1 << 1) or not status & (1 << 18):
        fix.alarms.add(Alarm.SOS)
    if not status & (1 << 2):
        fix.alarms.add(Alarm.OVERSPEED)
    if not status & (1 << 19):
        fix.alarms.add(Alarm.POWER_CUT)


def _cells(fix: Fix, cells: list[tuple[int | None, int | None, int, int, int | None]]) -> None:
    towers = []
    for mcc, mnc, lac, cid, rssi in cells:
        tower: dict[str, int] = {"locationAreaCode": lac, "cellId": cid}
        if mcc is not None and mnc is not None:
            tower = {"mobileCountryCode": mcc, "mobileNetworkCode": mnc} | tower
        if rssi is not None:
            tower["signalStrength"] = rssi
        towers.append(tower)
    if towers:
        fix.attributes.setdefault("network", {}).setdefault("cellTowers", []).extend(towers)
        if fix.latitude is None:
            fix.source = Source.CELL


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise FrameError(f"H02: not a number: {value!r}") from exc


def _nbr(text: _Text, now: dt.datetime) -> Result:
    """NBR: neighbouring cells ``hhmmss,mcc,mnc,delay,count,(lac,cid,rssi)…,ddmmyy,status``."""
    f = text.fields
    if len(f) < 7:
        raise FrameError("H02 NBR: too few fields")
    count = _int(f[4])
    cells_end = 5 + 3 * count
    if len(f) < cells_end + 2:
        raise FrameError("H02 NBR: cell list runs past the frame")
    mcc, mnc = _int(f[1]), _int(f[2])
    fix = Fix(fix_time=_report_time(text, f[cells_end], f[0]), source=Source.UNKNOWN)
    cells = [(mcc, mnc, _int(f[i]), _int(f[i + 1]), _int(f[i + 2])) for i in range(5, cells_end, 3)]
    _cells(fix, cells)
    _status_and_extras(fix, f[cells_end + 1 : cells_end + 2])
    return "location", [fix], None


def _link(text: _Text, now: dt.datetime) -> Result:
    """LINK: ``hhmmss,rssi,satellites,battery,steps,turnovers,ddmmyy,status``."""
    f = text.fields
    if len(f) < 8:
        raise FrameError("H02 LINK: too few fields")
    fix = Fix(fix_time=_report_time(text, f[6], f[0]), source=Source.UNKNOWN)
    fix.attributes["rssi"] = _int(f[1])
    fix.satellites = fix.attributes["sat"] = _int(f[2])
    _battery(fix, _int(f[3]))
    fix.attributes["steps"] = _int(f[4])
    fix.attributes["turnovers"] = _int(f[5])
    _status_and_extras(fix, f[7:8])
    return "heartbeat", [fix], None


def _v3(text: _Text, now: dt.datetime) -> Result:
    """V3: cells ``hhmmss,mccmnc,count,(lac,cid,rssi,?)…,battery hex,reboot,X,ddmmyy,status``."""
    f = text.fields
    if len(f) < 8 or len(f[1]) < 4:
        raise FrameError("H02 V3: too few fields")
    mcc, mnc, count = _int(f[1][:3]), _int(f[1][3:]), _int(f[2])
    cells_end = 3 + 4 * count
    if len(f) < cells_end + 5:
        raise FrameError("H02 V3: cell list runs past the frame")
    fix = Fix(fix_time=_report_time(text, f[cells_end + 3], f[0]), source=Source.UNKNOWN)
    _cells(fix, [(mcc, mnc, _int(f[i]), _int(f[i + 1]), None) for i in range(3, cells_end, 4)])
    if not re.fullmatch(r"[0-9A-Fa-f]{1,8}", f[cells_end]):
        raise FrameError("H02 V3: battery is not hex")
    fix.attributes["battery"] = int(f[cells_end], 16)
    _status_and_extras(fix, f[cells_end + 4 : cells_end + 5])
    return "location", [fix], None


def _vp1(text: _Text, now: dt.datetime) -> Result:
    """VP1: ``V,mcc,mnc,lac,cid,rssi[Y…]`` cells, or ``A,lat,N,lon,E,speed,course,ddmmyy``."""
    f = text.fields
    if f and f[0] == "V":
        if len(f) < 4:
            raise FrameError("H02 VP1: too few fields")
        mcc, mnc = _int(f[1]), _int(f[2])
        fix = Fix(fix_time=None, source=Source.UNKNOWN)
        cells = []
        for cell in ",".join(f[3:]).split("Y"):
            values = cell.split(",")
            cells.append((mcc, mnc, _int(values[0]), _int(values[1]), _int(values[2])))
        _cells(fix, cells)
        return "location", [fix], None
    if len(f) < 8:
        raise FrameError("H02 VP1: too few fields")
    try:
        lat, lon = _coordinate(f[1], f[2], "S"), _coordinate(f[3], f[4], "W")
        speed, course = float(f[5]), float(f[6])
    except ValueError as exc:
        raise FrameError(f"H02 VP1: bad number: {exc}") from exc
    fix = Fix(
        fix_time=_datetime(f[7], ""),
        latitude=lat,
        longitude=lon,
        valid=True,
        speed_kmh=speed * KNOT_KMH,
        course=course,
    )
    return "location", [fix], None


def _sms(text: _Text, now: dt.datetime) -> Result:
    fix = Fix(fix_time=None, source=Source.UNKNOWN)
    fix.attributes["result"] = ",".join(text.fields)
    return "response", [fix], None


def _nothing(text: _Text, now: dt.datetime) -> Result:
    return "other", [], None


_TEXT = {
    "HTBT": _heartbeat,
    "V0": _heartbeat,
    "NBR": _nbr,
    "LINK": _link,
    "V3": _v3,
    "VP1": _vp1,
    "SMS": _sms,
    "XT": _nothing,
    "BS": _nothing,
    "BASE": _nothing,
}


# ---------------------------------------------------------------------------------------------------
# Binary ($)


def _decode_binary(frame: bytes, session: SessionState) -> Decoded:
    """``$`` + id (5 BCD bytes, or 8 holding a 15-digit IMEI in 42-byte frames) + BCD time, date,
    lat, battery, lon, flags nibble, speed, course, then the 32-bit status word."""
    if len(frame) < BINARY_SHORT:
        raise FrameError(f"H02 binary frame too short: {len(frame)} bytes")
    nibbles = frame.hex()
    long_id = len(frame) == 42
    device_id = nibbles[2:17] if long_id else nibbles[2:12]
    p = 18 if long_id else 12
    if not device_id.isdigit():
        raise FrameError("H02 binary: device id is not BCD")
    session.device_id = device_id
    time, date = nibbles[p : p + 6], nibbles[p + 6 : p + 12]
    flags = int(nibbles[p + 31], 16)
    lat = _bcd_coordinate(nibbles[p + 12 : p + 14], nibbles[p + 14 : p + 20])
    lon = _bcd_coordinate(nibbles[p + 22 : p + 25], nibbles[p + 25 : p + 31])
    fix = Fix(
        fix_time=_datetime(date, time),
        latitude=lat if flags & 0x4 else -lat,
        longitude=lon if flags & 0x8 else -lon,
        valid=bool(flags & 0x2),
        source=Source.GNSS,
        speed_kmh=_bcd(nibbles[p + 32 : p + 35]) * KNOT_KMH,
        course=float(int(nibbles[p + 35], 16) * 100 + _bcd(nibbles[p + 36 : p + 38])),
    )
    battery = _binary_battery(int(nibbles[p + 20 : p + 22], 16))
    if battery is not None:
        _battery(fix, battery)
    apply_status(fix, int(nibbles[p + 38 : p + 46], 16))
    return Decoded(device_id, "location", [fix], None, {"type": "binary"})


def _bcd(digits: str) -> int:
    if not digits.isdigit():
        raise FrameError(f"H02 binary: not BCD: {digits!r}")
    return int(digits)


def _bcd_coordinate(degrees: str, minutes: str) -> float:
    """Minutes come as ``mmmmmm`` = mm.mmmm."""
    return _bcd(degrees) + _bcd(minutes) / 10_000 / 60


def _binary_battery(value: int) -> int | None:
    """Battery byte: 1–3 and 4–6 are coarse levels, up to 100 a percentage, F1–F6 a level 1–6."""
    if value == 0:
        return None
    if value <= 3:
        return (value - 1) * 10
    if value <= 6:
        return (value - 1) * 20
    if value <= 100:
        return value
    if 0xF1 <= value <= 0xF6:
        return value - 0xF0
    return None
