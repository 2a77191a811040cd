"""Watch / "3G" protocol (儿童手表、老人手表、腕带): ``[<maker>*<id>*<len>*<CMD>,<args>]``.

Pure functions over bytes.  ``split_frames`` cuts a TCP stream and undoes the escapes binary payloads
need (``7D 01..05`` → ``} [ ] , *``); ``decode`` reads one unescaped frame; ``reply`` builds an
answer.  Some makers put a 4-hex-digit index before the length (``[ZJ*id*0033*0064*UD,…]``); the
answer then carries it too.  The length field is often off by a few bytes (real captures: -13 to +8):
the splitter only uses it to find the right ``]`` nearby, and ``decode`` tolerates up to
``_LENGTH_SLACK`` either way and reports the difference.  Beyond that the frame is refused: content
shorter than the field says is a message cut short (``cut_short``); a field far below the content, or
0000/0001, which no command fits, is not a length at all (``length_field``).  Voice parts (``JXTK``)
are exempt from the second check: their field does not count the audio (a real capture says 1,081 of
5,671 bytes).

Voice messages (``TK``) and multi-part recordings (``JXTK``) are not written anywhere here: the
decoded fix names the clip under ``details["media"]`` (exactly one entry per finished clip) and
``attach_media`` lets the gateway store it once and put the stored name in the ``audio`` attribute,
which is how Traccar reports it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .common import Alarm, Decoded, Fix, FrameError, FrameSplit, SessionState, Source, utc

_ESCAPES = {1: b"}", 2: b"[", 3: b"]", 4: b",", 5: b"*"}
_UNESCAPES = {value[0]: bytes([0x7D, key]) for key, value in _ESCAPES.items()}
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")
AUDIO_KEY = "watch_audio"  # session.extra: parts of a JXTK recording still arriving


# ---------------------------------------------------------------------------------------------------
# Framing


def split_frames(buffer: bytes, *, max_frame: int = 65536) -> FrameSplit:
    """Frames run from ``[`` to the ``]`` their length field points at.  The field counts unescaped
    content bytes and is often off by a few, and Wi-Fi names may hold brackets, so the closing
    ``]`` is the one nearest to where the length says, within a few bytes, that ends the data or
    is followed by the next ``[``.  Bytes before a ``[`` are junk; an unfinished frame stays in rest."""
    frames: list[bytes] = []
    junk = 0
    pos = 0
    while pos < len(buffer):
        start = buffer.find(b"[", pos)
        if start < 0:
            junk += len(buffer) - pos
            pos = len(buffer)
            break
        junk += start - pos
        pos = start
        end = _frame_end(buffer, start)
        if end is None:
            if len(buffer) - start <= max_frame:
                break
            end = -1
        if end < 0:
            junk += 1  # a bracket that leads to no frame: look for the next one
            pos = start + 1
            continue
        frames.append(unescape(buffer[start:end]))
        pos = end
    return FrameSplit(frames=frames, rest=buffer[pos:], junk=junk)


_HEADER = re.compile(rb"\[[^*\[\]]{1,8}\*[^*\[\]]{1,32}\*(?:[0-9A-Fa-f]{4}\*)?([0-9A-Fa-f]{4})\*")
_LENGTH_SLACK = 16  # the largest error seen in real captures is 13


def _frame_end(buffer: bytes, start: int) -> int | None:
    """Index after the closing ``]``; None to wait for more bytes; -1 when nothing fits."""
    header = _HEADER.match(buffer, start)
    if header is None:
        end = buffer.find(b"]", start)
        return None if end < 0 else end + 1
    expected = _raw_position(buffer, header.end(), int(header.group(1), 16))
    if buffer[expected : expected + 1] == b"]":
        return expected + 1
    low, high = max(header.end(), expected - _LENGTH_SLACK), expected + _LENGTH_SLACK
    closing = [
        i
        for i in range(low, min(high + 1, len(buffer)))
        if buffer[i] == 0x5D and (i + 1 == len(buffer) or buffer[i + 1] == 0x5B)
    ]
    if closing:
        return min(closing, key=lambda i: abs(i - expected)) + 1
    if len(buffer) <= high + 1:
        return None
    end = buffer.find(b"]", header.end())
    return -1 if end < 0 else end + 1


def _raw_position(buffer: bytes, pos: int, length: int) -> int:
    """Where ``length`` unescaped content bytes starting at ``pos`` end in the escaped stream."""
    count = 0
    while count < length and pos < len(buffer):
        escaped = buffer[pos] == 0x7D and pos + 1 < len(buffer) and buffer[pos + 1] in _ESCAPES
        pos += 2 if escaped else 1
        count += 1
    return pos + (length - count)


def unescape(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i] == 0x7D and i + 1 < len(data) and data[i + 1] in _ESCAPES:
            out += _ESCAPES[data[i + 1]]
            i += 2
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def escape(payload: bytes) -> bytes:
    """What a device does to a binary payload before framing it."""
    return b"".join(_UNESCAPES.get(b, bytes([b])) for b in payload)


def reply(maker: str, device_id: str, content: str, *, index: str | None = None) -> bytes:
    """``[maker*id*LLLL*content]`` with LLLL the content length in hex (4 digits, lower case)."""
    head = f"[{maker}*{device_id}*" + (f"{index}*" if index else "")
    return f"{head}{len(content):04x}*{content}]".encode("ascii")


# ---------------------------------------------------------------------------------------------------
# Decoding


@dataclass(slots=True)
class _Message:
    maker: str
    device_id: str
    index: str | None
    command: str
    args: bytes
    details: dict[str, Any] = field(default_factory=dict)

    def answer(self, content: str) -> bytes:
        return reply(self.maker, self.device_id, content, index=self.index)

    def values(self) -> list[str]:
        return self.args.decode("ascii", "replace").split(",") if self.args else []


def decode(frame: bytes, session: SessionState, *, now: dt.datetime | None = None) -> Decoded:
    """Decode one (unescaped) frame.  ``now`` stamps health readings that carry no time."""
    message = _parse(frame)
    session.device_id = message.device_id
    handler = _handler(message.command)
    result = handler(message, session, now or dt.datetime.now(dt.UTC)) if handler else ("other", [], None)
    kind, fixes, answer = result
    details = {"command": message.command, **message.details}
    return Decoded(message.device_id, kind, fixes, answer, details)


def _parse(frame: bytes) -> _Message:
    if frame[:1] != b"[" or frame[-1:] != b"]":
        raise FrameError("not a watch frame: expected [...]")
    parts = frame[1:-1].split(b"*", 3)
    if len(parts) < 4:
        raise FrameError("watch frame header incomplete")
    maker, device_id, length, rest = parts
    index = None
    if _HEX4.fullmatch(length) and _HEX4.fullmatch(rest[:4]) and rest[4:5] == b"*":
        index, length, rest = length.decode(), rest[:4], rest[5:]
    if not _HEX4.fullmatch(length) or not device_id:
        raise FrameError("watch frame: bad length or id field")
    if not (maker + device_id).isascii() or not (maker + device_id).isalnum():
        raise FrameError("watch frame: maker and id must be letters and digits")
    command, _, args = rest.partition(b",")
    message = _Message(
        maker.decode("ascii", "replace"),
        device_id.decode("ascii", "replace"),
        index,
        command.decode("ascii", "replace"),
        args,
    )
    declared = int(length, 16)
    if declared != len(rest):
        _check_length(declared, len(rest), message.command)
        message.details["length_mismatch"] = len(rest) - declared  # within the known sloppiness
    return message


def _check_length(declared: int, actual: int, command: str) -> None:
    if declared < 2:
        raise FrameError(f"watch length field {declared:04x}: no command fits", reason="length_field")
    if actual < declared - _LENGTH_SLACK:
        raise FrameError(f"watch {command}: {actual} of {declared} bytes: cut short", reason="cut_short")
    if actual > declared + _LENGTH_SLACK and command not in _UNCOUNTED:
        raise FrameError(
            f"watch {command}: length field {declared} for {actual} bytes", reason="length_field"
        )


_UNCOUNTED = frozenset({"JXTK"})  # multi-part voice: the length field does not count the audio


Result = tuple[str, list[Fix], bytes | None]
Handler = Callable[[_Message, SessionState, dt.datetime], Result]


def _handler(command: str) -> Handler | None:
    if command in _COMMANDS:
        return _COMMANDS[command]
    if command.lower() in _HEALTH:
        return _health
    if command.startswith(("UD", "AL", "WT")):
        return _location
    return None


def _heartbeat(message: _Message, session: SessionState, now: dt.datetime) -> Result:
    """LK: ``steps,rolls,battery``; answered with ``LK``."""
    values = message.values()
    if len(values) < 3:
        return "heartbeat", [], message.answer("LK")
    fix = Fix(fix_time=None, source=Source.UNKNOWN)
    fix.attributes["steps"] = _int(values[0])
    _battery(fix, _int(values[2]))
    return "heartbeat", [fix], message.answer("LK")


def _echo(message: _Message, session: SessionState, now: dt.datetime) -> Result:
    """TKQ/TKQ2 (voice-chat keepalive) and INIT want their own name (INIT: ``INIT,1``) back."""
    return "heartbeat", [], message.answer("INIT,1" if message.command == "INIT" else message.command)


def _battery(fix: Fix, pct: int) -> None:
    fix.battery_pct = fix.attributes["batteryLevel"] = pct


def _int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError as exc:
        raise FrameError(f"watch: not a number: {value!r}") from exc


def _float(value: str) -> float:
    try:
        return float(value.strip())
    except ValueError as exc:
        raise FrameError(f"watch: not a number: {value!r}") from exc


# --- location: UD, UD2, UD_LTE, UD_WCDMA, UD3, AL, AL_LTE, ALCUSTOMER1, WT ---------------------------


def _location(message: _Message, session: SessionState, now: dt.datetime) -> Result:
    values = message.values()
    if len(values) < 16:
        raise FrameError(f"watch {message.command}: too few fields", reason="cut_short")
    fix = _position(values)
    if message.command == "UD2":
        fix.archive = True  # blind-area re-upload (盲区补传)
    _network(fix, values[16:], message.details)
    if message.command.startswith("AL"):
        if not fix.alarms:
            fix.alarms.add(Alarm.GENERAL)
        return "alarm", [fix], message.answer("AL")
    return "location", [fix], None


def _position(v: list[str]) -> Fix:
    """``ddmmyy,hhmmss,A|V,lat,N|S|,lon,E|W|,speed km/h,course,altitude,sats,rssi,battery,steps,
    tumbles,status hex``."""
    date, time = v[0].strip(), v[1].strip()
    if not (re.fullmatch(r"\d{6}", date) and re.fullmatch(r"\d{6}", time)):
        raise FrameError(f"watch: bad date/time {date!r} {time!r}")
    fix = Fix(
        fix_time=utc(
            2000 + int(date[4:6]),
            int(date[2:4]),
            int(date[0:2]),
            int(time[0:2]),
            int(time[2:4]),
            int(time[4:6]),
        ),
        latitude=_coordinate(v[3], v[4], "S"),
        longitude=_coordinate(v[5], v[6], "W"),
        valid=v[2].strip() == "A",
        source=Source.GNSS,
        speed_kmh=_float(v[7]),
        course=_float(v[8]),
        altitude_m=_float(v[9]),
    )
    fix.satellites = fix.attributes["sat"] = _int(v[10])
    fix.attributes["rssi"] = _int(v[11])
    _battery(fix, _int(v[12]))
    fix.attributes["steps"] = _int(v[13])
    status = int(v[15].strip(), 16) if re.fullmatch(r"[0-9A-Fa-f]+", v[15].strip()) else 0
    apply_status(fix, status)
    return fix


def _coordinate(value: str, hemisphere: str, negative: str) -> float:
    number = _float(value)
    # Some firmware signs the value and repeats the hemisphere; the hemisphere then only confirms it.
    return -abs(number) if hemisphere.strip() == negative else number


_STATUS_ALARMS = (
    (0, Alarm.LOW_BATTERY),
    (1, Alarm.GEOFENCE_EXIT),
    (2, Alarm.GEOFENCE_ENTER),
    (14, Alarm.POWER_CUT),
    (16, Alarm.SOS),
    (17, Alarm.LOW_BATTERY),
    (18, Alarm.GEOFENCE_EXIT),
    (19, Alarm.GEOFENCE_ENTER),
    (20, Alarm.REMOVING),
    (21, Alarm.FALL_DOWN),
    (22, Alarm.FALL_DOWN),
)


def apply_status(fix: Fix, status: int) -> None:
    """Terminal status word.  Every alarm bit that is set is reported (Traccar keeps only the first,
    so a low battery would hide an SOS); bit 4 means the wearer is moving."""
    fix.attributes["status"] = status
    for bit, alarm in _STATUS_ALARMS:
        if status >> bit & 1:
            fix.alarms.add(alarm)
    if status & 0x10:
        fix.attributes["motion"] = True


def _network(fix: Fix, values: list[str], details: dict[str, Any]) -> None:
    """``count,ta,mcc,mnc,(lac,cid,rssi)…,wifiCount,(name,mac,rssi)…[,accuracy]``; best effort, since
    firmware varies, and never a reason to drop the position."""
    try:
        cells, index = _cells(values)
        points = _wifi(values, index)
    except (ValueError, IndexError):
        details["network_unparsed"] = True
        return
    network: dict[str, Any] = {}
    if cells:
        network["cellTowers"] = cells
    if points:
        network["wifiAccessPoints"] = points
    if network:
        fix.attributes["network"] = network


def _cells(values: list[str]) -> tuple[list[dict[str, int]], int]:
    count = int(values[0])
    if count == 0:
        return [], 1
    mcc = _number(values[2]) if values[2] else 0
    mnc = _number(values[3]) if values[3] else 0
    cells, index = [], 4
    for _ in range(count):
        lac, cid, rssi = values[index : index + 3]
        cell = {
            "mobileCountryCode": mcc,
            "mobileNetworkCode": mnc,
            "locationAreaCode": _number(lac),
            "cellId": _number(cid),
        }
        if rssi:
            cell["signalStrength"] = int(rssi)
        cells.append(cell)
        index += 3
    return cells, index


def _number(value: str) -> int:
    """Cell ids come in decimal, or in hex when they contain a letter."""
    return int(value, 16) if re.search(r"[A-Fa-f]", value) else int(value)


def _wifi(values: list[str], index: int) -> list[dict[str, Any]]:
    if index >= len(values) or not values[index]:
        return []
    points = []
    for i in range(int(values[index])):
        mac, rssi = values[index + 2 + 3 * i], values[index + 3 + 3 * i]
        if mac and mac != "0" and rssi:
            points.append({"macAddress": mac, "signalStrength": int(rssi)})
    return points


# --- health readings --------------------------------------------------------------------------------


def _health(message: _Message, session: SessionState, now: dt.datetime) -> Result:
    """Heart rate, blood pressure, temperature and blood oxygen, under Traccar's names.  These carry
    no time, so the receive time stands in."""
    values = message.values()
    if not values:
        return "other", [], None
    fix = Fix(fix_time=now, source=Source.UNKNOWN)
    command = message.command.lower()
    if len(values) < _HEALTH[command]:
        raise FrameError(f"watch {message.command}: too few values")
    if command == "temp":
        fix.attributes["temp1"] = _float(values[0])
    elif command == "btemp2":
        if _int(values[0]) > 0:
            fix.attributes["temp1"] = _float(values[1])
    elif command == "oxygen":
        fix.attributes["bloodOxygen"] = _int(values[1])
    else:
        if command in ("bphrt", "blood"):
            fix.attributes["pressureHigh"] = values[0]
            fix.attributes["pressureLow"] = values[1]
            values = values[2:]
        if values and values[0]:
            fix.attributes["heartRate"] = _int(values[0])
    return "other", [fix], None


# Health commands and how many values each needs at least.
_HEALTH = {"pulse": 1, "heart": 1, "blood": 2, "bphrt": 2, "temp": 1, "btemp2": 2, "oxygen": 2}


# --- voice messages ---------------------------------------------------------------------------------


def _voice(message: _Message, session: SessionState, now: dt.datetime) -> Result:
    """TK: one AMR clip in a single frame."""
    if len(message.args) <= 1:
        return "other", [], None
    return "other", [_clip(message, message.args)], None


def _voice_part(message: _Message, session: SessionState, now: dt.datetime) -> Result:
    """JXTK: ``count?,name,part,parts,<audio>``; parts are gathered in the session until the last."""
    head = message.args.split(b",", 4)
    if len(head) < 5:
        raise FrameError("watch JXTK: header incomplete")
    current, total = _int(head[2].decode("ascii", "replace")), _int(head[3].decode("ascii", "replace"))
    parts = session.extra.setdefault(AUDIO_KEY, bytearray())
    parts += head[4]
    answer = message.answer("JXTKR,1")
    if current < total:
        return "other", [], answer
    audio = bytes(parts)
    del session.extra[AUDIO_KEY]
    return "other", [_clip(message, audio)], answer


def _clip(message: _Message, audio: bytes) -> Fix:
    message.details["media"] = [{"attribute": "audio", "extension": "amr", "data": audio}]
    return Fix(fix_time=None, source=Source.UNKNOWN)


def attach_media(decoded: Decoded, store: Callable[[bytes, str], str]) -> None:
    """Store each clip once (``store(data, extension) -> name``) and name it on the first fix."""
    for clip in decoded.details.pop("media", []):
        name = store(clip["data"], clip["extension"])
        if decoded.fixes:
            decoded.fixes[0].attributes[clip["attribute"]] = name


_COMMANDS: dict[str, Handler] = {
    "LK": _heartbeat,
    "TKQ": _echo,
    "TKQ2": _echo,
    "INIT": _echo,
    "TK": _voice,
    "JXTK": _voice_part,
}
