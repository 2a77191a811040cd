"""GT06/Concox (康凯斯) framing: CRC-16/X-25, cutting frames from a TCP stream, reading one frame.

A frame is ``78 78 | len u8 | proto | content | serial u16 | crc u16 | 0D 0A`` or the long form
``79 79 | len u16 | …``; ``len`` counts proto + content + serial + CRC and the CRC covers len..serial.
Pure functions over bytes: no I/O, no Django.
"""

from __future__ import annotations

import binascii
import datetime as dt
from typing import NamedTuple

from ..common import FrameError, FrameSplit, utc

SHORT_HEADER = b"\x78\x78"
LONG_HEADER = b"\x79\x79"
TRAILER = b"\r\n"
MIN_FRAME = 10  # header 2 + len 1 + proto 1 + serial 2 + crc 2 + trailer 2


# Each byte with its bits in reverse order.  CRC-16/X-25 is the reflected form of the CCITT polynomial
# that binascii.crc_hqx computes in C: over bit-reversed bytes, with the result reversed back, the two
# agree — and in C the CRC is far cheaper than a table loop in Python (two per GT06 fix: check, reply).
_REVERSED = bytes(int(f"{byte:08b}"[::-1], 2) for byte in range(256))


def crc_x25(data: bytes) -> int:
    """CRC-16/X-25 (also called CRC-ITU in GT06 manuals): reflected 0x1021, init and xorout 0xFFFF."""
    crc = binascii.crc_hqx(data.translate(_REVERSED), 0xFFFF)
    return (_REVERSED[crc & 0xFF] << 8 | _REVERSED[crc >> 8]) ^ 0xFFFF


# ---------------------------------------------------------------------------------------------------
# Stream splitting


def split_frames(buffer: bytes, *, max_frame: int = 2048) -> FrameSplit:
    """Cut every complete frame from ``buffer``; keep a partial one as ``rest`` and count skipped junk.

    Frames are cut by their length field.  Some firmware sends Wi-Fi/LBS reports (0x17, 0x69) whose
    length byte does not give the size, and a few devices send a wrong length.  When the length does
    not lead to ``0D 0A``, the frame ends at the first ``0D 0A`` that comes before the next header and
    is followed by that header or by the end of what was read.  A header that leads nowhere is junk.
    """
    frames: list[bytes] = []
    junk = 0
    pos = 0
    size = len(buffer)
    while pos < size:
        start = _find_header(buffer, pos)
        if start < 0:
            # A lone last 0x78/0x79 may be the first half of the next header.
            keep = 1 if buffer[-1] in (0x78, 0x79) else 0
            junk += size - pos - keep
            pos = size - keep
            break
        junk += start - pos
        pos = start
        end = _frame_end(buffer, pos, max_frame)
        if end is None:
            break  # wait for more bytes
        if end < 0:
            junk += 2  # a header that leads to no frame: resynchronise after it
            pos += 2
            continue
        frames.append(buffer[pos:end])
        pos = end
    return FrameSplit(frames=frames, rest=buffer[pos:], junk=junk)


def _find_header(buffer: bytes, pos: int) -> int:
    found = [i for i in (buffer.find(SHORT_HEADER, pos), buffer.find(LONG_HEADER, pos)) if i >= 0]
    return min(found) if found else -1


def declared_size(buffer: bytes, pos: int = 0) -> int | None:
    """Frame size in bytes as its length field states, or None while the field is not yet readable."""
    if buffer[pos : pos + 2] == SHORT_HEADER:
        return 2 + 1 + buffer[pos + 2] + 2 if len(buffer) > pos + 2 else None
    if len(buffer) < pos + 4:
        return None
    return 2 + 2 + int.from_bytes(buffer[pos + 2 : pos + 4], "big") + 2


def _frame_end(buffer: bytes, pos: int, max_frame: int) -> int | None:
    """End of the frame at ``pos``; None to wait for more bytes; -1 when the header leads nowhere."""
    size = declared_size(buffer, pos)
    if size is None or len(buffer) - pos < 5:
        return None
    end = pos + size
    if size <= max_frame and end <= len(buffer) and buffer[end - 2 : end] == TRAILER:
        return end
    fallback = _trailer_end(buffer, pos)
    if fallback is not None:
        return fallback
    if size <= max_frame and end > len(buffer) and len(buffer) - pos <= max_frame:
        return None  # most likely a frame still arriving
    return -1


def _trailer_end(buffer: bytes, pos: int) -> int | None:
    """End of the first ``0D 0A`` before the next header that is followed by it or by the end."""
    following = _find_header(buffer, pos + 2)
    stop = len(buffer) if following < 0 else following
    index = buffer.find(TRAILER, pos + 4, stop)
    while index >= 0:
        after = index + 2
        if after == len(buffer) or after == following:
            return after
        index = buffer.find(TRAILER, index + 1, stop)
    return None


# ---------------------------------------------------------------------------------------------------
# One frame


class Frame(NamedTuple):
    """A frame taken apart.  ``body`` runs from after the protocol number to before ``0D 0A`` and so
    still ends with serial + CRC; ``limit`` is where the serial starts.  Immutable as a NamedTuple, which
    is cheaper to build than a frozen dataclass (one per fix)."""

    extended: bool
    length: int
    proto: int
    body: bytes
    limit: int
    serial: int
    trailing: int = 0  # bytes after the declared frame (a buffer holding several frames)

    def reader(self, *, lenient: bool) -> Reader:
        return Reader(self.body, self.limit, lenient=lenient)


def parse_frame(frame: bytes, *, strict: bool = True) -> Frame:
    """Check header, length, trailer and CRC (``strict``) and take the frame apart.

    Not strict: a frame whose length or trailer is wrong is read up to its physical end, the way
    Traccar reads it, so that known-bad captures can still be inspected.
    """
    if frame[:2] not in (SHORT_HEADER, LONG_HEADER):
        raise FrameError("not a GT06 frame: bad header")
    extended = frame[:2] == LONG_HEADER
    head = 4 if extended else 3
    size = declared_size(frame)
    if size is None or len(frame) <= head:
        raise FrameError("truncated GT06 frame")
    length = size - head - 2
    fits = size <= len(frame) and frame[size - 2 : size] == TRAILER and length >= 5
    if strict:
        _check(frame, size, fits)
    if fits:
        body = frame[head + 1 : size - 2]
        trailing = len(frame) - size
    else:
        body = frame[head + 1 :].removesuffix(TRAILER).removesuffix(b"\r")
        trailing = 0
    limit = max(0, len(body) - 4)
    serial = int.from_bytes(body[limit : limit + 2], "big") if len(body) >= 4 else 0
    return Frame(extended, length, frame[head], body, limit, serial, trailing)


def _check(frame: bytes, size: int, fits: bool) -> None:
    if size > len(frame):
        raise FrameError(f"truncated GT06 frame: length says {size} bytes, got {len(frame)}")
    if not fits:
        raise FrameError("GT06 frame does not end with 0D 0A where its length says")
    expected = int.from_bytes(frame[size - 4 : size - 2], "big")
    if crc_x25(frame[2 : size - 4]) != expected:
        raise FrameError("GT06 CRC mismatch")


def build_reply(proto: int, serial: int, content: bytes = b"", *, extended: bool = False) -> bytes:
    """An acknowledgement or answer in the device's framing (same proto and serial, fresh CRC)."""
    length = 1 + len(content) + 2 + 2
    header = LONG_HEADER + length.to_bytes(2, "big") if extended else SHORT_HEADER + bytes([length])
    packet = header + bytes([proto]) + content + serial.to_bytes(2, "big")
    return packet + crc_x25(packet[2:]).to_bytes(2, "big") + TRAILER


# ---------------------------------------------------------------------------------------------------
# Reading fields


class Reader:
    """A cursor over a frame body.  Strict readers stop at the serial number; lenient ones may read
    into it, as Traccar does with frames whose length field is wrong."""

    __slots__ = ("data", "hard", "limit", "offset", "pos")

    def __init__(self, data: bytes, limit: int, *, lenient: bool = False) -> None:
        self.data = data
        self.pos = 0
        self.limit = limit
        self.hard = len(data) if lenient else limit
        self.offset = dt.timedelta(0)  # the device's declared time zone (login), subtracted from times

    @property
    def remaining(self) -> int:
        """Bytes left before the serial number (Traccar's ``readableBytes() - 6``)."""
        return self.limit - self.pos

    def take(self, count: int) -> bytes:
        end = self.pos + count
        if count < 0 or end > self.hard:
            raise FrameError(f"GT06 frame too short: needed {count} bytes at offset {self.pos}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def skip(self, count: int) -> None:
        self.take(count)

    def uint(self, count: int) -> int:
        return int.from_bytes(self.take(count), "big")

    # The fixed widths read the bytes directly: a location report reads ten fields, and the calls
    # through uint() and take() were a large part of its decoding.
    def u8(self) -> int:
        pos = self.pos
        if pos >= self.hard:
            raise FrameError(f"GT06 frame too short: needed 1 bytes at offset {pos}")
        self.pos = pos + 1
        return self.data[pos]

    def u16(self) -> int:
        pos = self.pos
        if pos + 2 > self.hard:
            raise FrameError(f"GT06 frame too short: needed 2 bytes at offset {pos}")
        self.pos = pos + 2
        return self.data[pos] << 8 | self.data[pos + 1]

    def u32(self) -> int:
        pos = self.pos
        if pos + 4 > self.hard:
            raise FrameError(f"GT06 frame too short: needed 4 bytes at offset {pos}")
        self.pos = pos + 4
        return int.from_bytes(self.data[pos : pos + 4], "big")

    def s16(self) -> int:
        return int.from_bytes(self.take(2), "big", signed=True)

    def s32(self) -> int:
        return int.from_bytes(self.take(4), "big", signed=True)

    def peek(self, offset: int = 0) -> int:
        index = self.pos + offset
        if index >= self.hard:
            raise FrameError("GT06 frame too short")
        return self.data[index]

    def rest(self) -> bytes:
        return self.take(max(0, self.remaining))

    def time(self) -> dt.datetime:
        """``YY MM DD hh mm ss`` as binary bytes, UTC."""
        y, mo, d, h, mi, s = self.take(6)
        return utc(2000 + y, mo, d, h, mi, s) - self.offset

    def bcd_time(self) -> dt.datetime:
        """The same six fields in BCD (Wi-Fi reports).  Nibbles are weighted as Traccar does, so a
        stray binary byte still gives a date rather than an error."""
        y, mo, d, h, mi, s = ((b >> 4) * 10 + (b & 0x0F) for b in self.take(6))
        return utc(2000 + y, mo, d, h, mi, s)
