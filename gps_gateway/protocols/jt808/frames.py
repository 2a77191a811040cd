"""JT/T 808 (道路运输车辆卫星定位系统终端通讯协议) framing: escaping, checksum, stream splitting, headers and
the replies the platform sends.  Pure functions over bytes; the message bodies live in ``jt808``.

A frame on the wire is ``7E | escaped(header | body | xor) | 7E``.  Everything here that says *frame*
without qualification means the unescaped bytes between the flags, checksum included.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import NamedTuple

from gps_gateway.protocols.common import FrameError, FrameSplit, from_china_time

FLAG = 0x7E
ESCAPE = 0x7D
LOCK_START, LOCK_END = ord("("), ord(")")

# Vendor location messages (JT701-style e-locks) that carry a one-byte serial and no encryption bits.
SHORT_SERIAL_IDS = frozenset({0x5501, 0x5502})

MSG_PLATFORM_RESPONSE = 0x8001
MSG_REGISTER_RESPONSE = 0x8100
MSG_LOCK_RESPONSE = 0x4401


def escape(data: bytes) -> bytes:
    """7E → 7D 02 and 7D → 7D 01, so that 7E only ever appears as a flag."""
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    """Undo ``escape`` in one pass.  A 7D not followed by 01/02 is kept as it is: some terminals never
    escape, and their frames still checksum over the raw bytes."""
    if b"\x7d" not in data:
        return data
    out = bytearray()
    i, end = 0, len(data)
    while i < end:
        byte = data[i]
        if byte == ESCAPE and i + 1 < end and data[i + 1] in (1, 2):
            out.append(ESCAPE if data[i + 1] == 1 else FLAG)
            i += 2
        else:
            out.append(byte)
            i += 1
    return bytes(out)


def checksum(data: bytes) -> int:
    """XOR of every byte (header and body, before escaping)."""
    value = 0
    for byte in data:
        value ^= byte
    return value


def checksum_ok(frame: bytes) -> bool:
    return len(frame) >= 2 and checksum(frame[:-1]) == frame[-1]


# --- headers -------------------------------------------------------------------------------------


class Header(NamedTuple):
    """An immutable header.  A NamedTuple rather than a frozen dataclass: built once per frame, and a
    frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field) was most of parse_header's
    time; the tuple is built cheaply."""

    msg_id: int
    body_length: int
    encrypted: bool  # any of bits 10-12 (bit 10 = RSA): the body is not ours to read
    subpackage: bool
    version_2019: bool
    protocol_version: int | None
    phone: str  # the terminal phone as BCD digits, hex when the terminal puts non-BCD bytes there
    phone_bytes: bytes  # echoed verbatim in replies
    serial: int
    packet_total: int | None
    packet_index: int | None
    header_length: int
    reply_requested: bool = False  # bit 15, only meaningful on 0x5501/0x5502


class Reader:
    """A cursor over a byte string that raises FrameError (never IndexError) when a field runs past the end."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise FrameError(f"truncated: wanted {count} bytes at {self.pos}, have {self.remaining}")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def u8(self) -> int:
        return self.take(1)[0]

    def s8(self) -> int:
        return int.from_bytes(self.take(1), "big", signed=True)

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def s16(self) -> int:
        return int.from_bytes(self.take(2), "big", signed=True)

    def u24(self) -> int:
        return int.from_bytes(self.take(3), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def peek(self, count: int) -> bytes:
        return self.data[self.pos : self.pos + count]


_U16_PAIR = struct.Struct(">HH")


def parse_header(frame: bytes) -> Header:
    """Read the header of an unescaped frame (2011/2013 with BCD[6] phone, 2019 with version + BCD[10])."""
    size = len(frame)
    if size < 4:
        raise FrameError(f"truncated: a header needs 4 bytes, have {size}")
    msg_id, attributes = _U16_PAIR.unpack_from(frame)
    short_serial = msg_id in SHORT_SERIAL_IDS
    version_2019 = bool(attributes & 0x4000) and not short_serial
    subpackage = bool(attributes & 0x2000) and not short_serial
    phone_end = 15 if version_2019 else 10
    length = phone_end + (1 if short_serial else 2) + (4 if subpackage else 0)
    if size < length:
        raise FrameError(f"truncated: a header of {length} bytes, have {size}")
    protocol_version = frame[4] if version_2019 else None
    phone_bytes = frame[phone_end - (10 if version_2019 else 6) : phone_end]
    serial = frame[phone_end] if short_serial else frame[phone_end] << 8 | frame[phone_end + 1]
    total = index = None
    if subpackage:
        total, index = _U16_PAIR.unpack_from(frame, phone_end + 2)
    return Header(
        msg_id=msg_id,
        body_length=attributes & 0x03FF,
        encrypted=not short_serial and bool(attributes & 0x1C00),
        subpackage=subpackage,
        version_2019=version_2019,
        protocol_version=protocol_version,
        phone=phone_bytes.hex(),
        phone_bytes=phone_bytes,
        serial=serial,
        packet_total=total,
        packet_index=index,
        header_length=length,
        reply_requested=short_serial and bool(attributes & 0x8000),
    )


def expected_length(frame: bytes) -> int | None:
    """Header + body + checksum bytes the header announces, or None if the header itself is cut short
    (what ``parse_header`` would refuse), without building a Header: the splitter asks for every frame."""
    size = len(frame)
    if size < 4:
        return None
    msg_id, attributes = _U16_PAIR.unpack_from(frame)
    if msg_id in SHORT_SERIAL_IDS:
        length = 11
    else:
        length = (17 if attributes & 0x4000 else 12) + (4 if attributes & 0x2000 else 0)
    return None if size < length else length + (attributes & 0x03FF) + 1


def device_id_from_phone(header: Header) -> str:
    """The identifier a terminal is provisioned under.

    BCD phones lose their zero padding (a 2019 terminal pads its 15-digit IMEI to 20 digits).  Some
    terminals put a binary IMEI in the phone field instead of BCD; its first six bytes are the IMEI
    without the check digit, as Traccar reads them, so the Luhn digit is added back."""
    if header.phone.isdigit():
        return header.phone.lstrip("0") or header.phone
    number = int.from_bytes(header.phone_bytes[:6], "big")
    return f"{number}{luhn_digit(number)}"


def luhn_digit(number: int) -> int:
    total = 0
    for position, char in enumerate(reversed(str(number))):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


# --- BCD -----------------------------------------------------------------------------------------


def bcd_digits(data: bytes) -> str:
    """Decimal digits of a BCD field; a nibble above 9 is a corrupt field, not a number."""
    text = data.hex()
    if not text.isdigit():
        raise FrameError(f"not BCD: {text}")
    return text


def read_china_time(reader: Reader) -> dt.datetime:
    """BCD ``YYMMDDhhmmss`` in GMT+8, the JT/T 808 clock."""
    return china_time(reader.take(6))


# The value of each BCD byte (0x59 → 59), -1 for a byte with a nibble above 9.
_BCD_VALUE = tuple(hi * 10 + lo if hi < 10 and lo < 10 else -1 for hi in range(16) for lo in range(16))


def china_time(data: bytes) -> dt.datetime:
    """Six BCD bytes ``YYMMDDhhmmss`` in GMT+8 as a UTC datetime (one per JT/T 808 fix: read byte by
    byte from a table, not through the hex text and six int() calls, which took twice as long)."""
    if len(data) != 6:
        raise FrameError(f"truncated: a BCD time needs 6 bytes, have {len(data)}")
    value = _BCD_VALUE
    year, month, day = value[data[0]], value[data[1]], value[data[2]]
    hour, minute, second = value[data[3]], value[data[4]], value[data[5]]
    if min(year, month, day, hour, minute, second) < 0:
        raise FrameError(f"not BCD: {data.hex()}")
    return from_china_time(2000 + year, month, day, hour, minute, second)


# --- stream splitting ----------------------------------------------------------------------------


def split_frames(buffer: bytes, *, max_frame: int = 4096) -> FrameSplit:
    """Cut complete frames out of a TCP buffer.

    Frames come back unescaped and without their flags.  ASCII e-lock replies ``(…)`` share the port and
    come back whole, parentheses included.  A 7E inside a frame (some terminals do not escape) is kept
    inside when the header's body length says the frame is not over yet and a longer cut, up to a later
    7E already in the buffer, has exactly that length (otherwise the frame is cut at the first 7E and
    will fail its checksum).  ``max_frame`` bounds the escaped bytes of one frame; a longer partial frame is dropped as junk.
    """
    frames: list[bytes] = []
    junk = 0
    pos = 0
    end = len(buffer)
    while pos < end:
        start = _next_start(buffer, pos)
        junk += start - pos
        if start >= end:
            return FrameSplit(frames, b"", junk)
        if buffer[start] == LOCK_START:
            stop = _sentence_end(buffer, start, max_frame)
            if stop is None:
                return FrameSplit(frames, buffer[start:], junk)
            if stop < 0:  # binary noise that happened to contain "(": skip one byte and look again
                junk += 1
                pos = start + 1
            else:
                frames.append(buffer[start:stop])
                pos = stop
            continue
        cut = _cut_frame(buffer, start, max_frame)
        if cut is None:
            if end - start > max_frame + 2:
                junk += end - start
                return FrameSplit(frames, b"", junk)
            return FrameSplit(frames, buffer[start:], junk)
        frame, pos = cut
        if frame:
            frames.append(frame)
        else:
            pos -= 1  # 7E 7E: the closing flag of one frame, the opening flag of the next
    return FrameSplit(frames, b"", junk)


def _next_start(buffer: bytes, pos: int) -> int:
    if buffer[pos] == FLAG:  # the usual case: the next frame starts right where the last one ended
        return pos
    flag = buffer.find(b"\x7e", pos)
    lock = buffer.find(b"(", pos)
    candidates = [i for i in (flag, lock) if i >= 0]
    return min(candidates) if candidates else len(buffer)


def _sentence_end(buffer: bytes, start: int, max_frame: int) -> int | None:
    """Past the ")" closing the sentence at ``start``; None while it may still be arriving; -1 if the
    bytes after "(" are not a printable sentence."""
    limit = min(len(buffer), start + max_frame)
    for i in range(start + 1, limit):
        byte = buffer[i]
        if byte == LOCK_END:
            return i + 1
        if not 0x20 <= byte < 0x7F:
            return -1
    return None if limit == len(buffer) else -1


def _cut_frame(buffer: bytes, start: int, max_frame: int) -> tuple[bytes, int] | None:
    """The frame opened at ``start`` and the position after its closing flag, or None if not complete."""
    stop = buffer.find(b"\x7e", start + 1)
    if stop < 0:
        return None
    first = unescape(buffer[start + 1 : stop])
    if not first or _looks_complete(first):
        return first, stop + 1
    # The frame is shorter than its header says: try the following flags as raw bytes inside it.
    later = stop
    while True:
        later = buffer.find(b"\x7e", later + 1, start + max_frame + 2)
        if later < 0 or buffer[later - 1] == FLAG:
            return first, stop + 1
        longer = unescape(buffer[start + 1 : later])
        expected = expected_length(longer)
        if expected is not None and len(longer) == expected:
            return longer, later + 1
        if expected is None or len(longer) > expected:
            return first, stop + 1


def _looks_complete(frame: bytes) -> bool:
    expected = expected_length(frame)
    return expected is None or len(frame) >= expected or checksum_ok(frame)


# --- sub-packages --------------------------------------------------------------------------------


def reassemble(fragments: list[tuple[Header, bytes]]) -> bytes | None:
    """The body of a sub-packaged message once every packet 1..total is present, else None.

    The gateway keeps the fragments per terminal and message id; duplicates (resent packets) are fine."""
    if not fragments:
        return None
    total = fragments[0][0].packet_total
    if not total:
        return None
    by_index: dict[int, bytes] = {}
    for header, body in fragments:
        if header.packet_total != total or header.msg_id != fragments[0][0].msg_id:
            raise FrameError("fragments of different messages")
        if header.packet_index is not None:
            by_index[header.packet_index] = body
    if set(by_index) != set(range(1, total + 1)):
        return None
    return b"".join(by_index[i] for i in range(1, total + 1))


# --- replies -------------------------------------------------------------------------------------


def build_frame(
    msg_id: int,
    phone: str | bytes,
    serial: int,
    body: bytes,
    *,
    version_2019: bool = False,
    protocol_version: int | None = None,
    short_serial: bool = False,
) -> bytes:
    """A complete escaped frame with flags and checksum, for anything the platform sends."""
    attributes = len(body) & 0x03FF
    phone_field = _phone_field(phone, 10 if version_2019 else 6)
    serial &= 0xFF if short_serial else 0xFFFF
    if version_2019:
        layout = _HEAD_2019_SHORT if short_serial else _HEAD_2019
        head = layout.pack(msg_id, attributes | 0x4000, (protocol_version or 1) & 0xFF, phone_field, serial)
    else:
        layout = _HEAD_2013_SHORT if short_serial else _HEAD_2013
        head = layout.pack(msg_id, attributes, phone_field, serial)
    payload = head + body
    return b"\x7e" + escape(payload + bytes([checksum(payload)])) + b"\x7e"


# Reply headers (message id, attributes, [version,] phone, serial), one struct call instead of a
# bytearray built field by field: every fix is answered with a frame built here.
_HEAD_2013 = struct.Struct(">HH6sH")
_HEAD_2013_SHORT = struct.Struct(">HH6sB")
_HEAD_2019 = struct.Struct(">HHB10sH")
_HEAD_2019_SHORT = struct.Struct(">HHB10sB")


def _phone_field(phone: str | bytes, size: int) -> bytes:
    """Digits (or hex, for terminals with a binary id there) left-padded to the field, or raw bytes."""
    if isinstance(phone, str):
        try:
            phone = bytes.fromhex(phone.rjust(size * 2, "0"))
        except ValueError as exc:
            raise ValueError(f"terminal phone {phone!r} is not digits") from exc
    if len(phone) != size:
        raise ValueError(f"terminal phone must be {size} bytes, got {len(phone)}")
    return phone


_GENERAL_RESPONSE = struct.Struct(">HHB")


def general_response(
    phone: str | bytes,
    serial: int,
    version_2019: bool,
    reply_serial: int,
    reply_id: int,
    result: int,
    protocol_version: int | None = None,
) -> bytes:
    """0x8001 platform general response (result 0 ok, 1 failure, 2 message error, 3 unsupported,
    4 alarm confirmed)."""
    body = _GENERAL_RESPONSE.pack(reply_serial, reply_id, result)
    return build_frame(
        MSG_PLATFORM_RESPONSE,
        phone,
        serial,
        body,
        version_2019=version_2019,
        protocol_version=protocol_version,
    )


def register_response(
    phone: str | bytes,
    serial: int,
    version_2019: bool,
    reply_serial: int,
    result: int,
    auth_code: str | None,
    protocol_version: int | None = None,
) -> bytes:
    """0x8100 register response; the auth code follows only on success (result 0), as the standard says."""
    body = reply_serial.to_bytes(2, "big") + bytes([result])
    if result == 0 and auth_code:
        body += auth_code.encode("gbk")
    return build_frame(
        MSG_REGISTER_RESPONSE,
        phone,
        serial,
        body,
        version_2019=version_2019,
        protocol_version=protocol_version,
    )


def lock_response(phone: str | bytes, reply_id: int) -> bytes:
    """0x4401, the short acknowledgement e-locks ask for with bit 15 on 0x5501/0x5502."""
    body = reply_id.to_bytes(2, "big") + b"\x00"
    return build_frame(MSG_LOCK_RESPONSE, phone, 1, body, short_serial=True)
