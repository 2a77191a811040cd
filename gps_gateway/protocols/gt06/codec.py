"""GT06/Concox (康凯斯) decoder: login, heartbeat, GPS/LBS location, status and alarm packets.

``decode`` takes one frame (see ``split_frames``) and the connection's ``SessionState``.  Frames other
than login carry no IMEI, so they are decoded only once the session knows the device, as Traccar
does.  ``Decoded.reply`` is the acknowledgement the device waits for; the gateway sends it only after
the fixes are committed.  Vendor variants are told apart by protocol number and length (the devices
give no other hint) and, where that is not enough, by the device ``model``.

Layouts come from Concox manuals, Traccar's documented behaviour and the real frames in
``tests/conformance/device-captures/gt06.tsv``.  Times are UTC unless the login declared a time zone, in
which case they are read as local time in that zone, as Traccar does for unconfigured devices.
"""

from __future__ import annotations

import datetime as dt

from ..common import Decoded, Fix, FrameError, SessionState
from .extended import decode_extended
from .fields import Context
from .frames import build_reply, crc_x25, parse_frame, split_frames
from .lists import lbs_list, wifi, wifi_4
from .location import LOCATION
from .status import STATUS

__all__ = ["crc_x25", "decode", "split_frames"]

LOGIN = 0x01
TZ_KEY = "gt06_tz_minutes"

_BASIC = {
    **LOCATION,
    **STATUS,
    0x18: lbs_list,
    0x28: lbs_list,
    0x2C: lbs_list,
    0x2E: lbs_list,
    0x69: wifi,
    0xA1: lbs_list,
    0xF3: wifi_4,
}

# Command answers must not be acknowledged; these others answer with something else, or nothing.
_NO_ACK = {0x2A, 0x34, 0x35, 0x80, 0x81, 0x82, 0x8A, 0x94, 0xF3}


def decode(
    frame: bytes,
    session: SessionState,
    *,
    model: str | None = None,
    verify_crc: bool = True,
    now: dt.datetime | None = None,
) -> Decoded:
    """Decode one GT06 frame.

    Raises FrameError on a bad CRC, length or trailer (only when ``verify_crc``; otherwise the frame
    is read as far as it goes, like Traccar does), on truncated content and on impossible dates.
    ``model`` selects per-model quirks; ``now`` is only used to answer the device's time request.
    """
    parsed = parse_frame(frame, strict=verify_crc)
    reader = parsed.reader(lenient=not verify_crc)
    reader.offset = dt.timedelta(minutes=session.extra.get(TZ_KEY, 0))
    ctx = Context(parsed, reader, (model or "").upper(), now or dt.datetime.now(dt.UTC))
    ctx.details.update(proto=parsed.proto, serial=parsed.serial, extended=parsed.extended)
    if parsed.trailing:
        ctx.details["trailing_bytes"] = parsed.trailing
    if parsed.proto == LOGIN and not parsed.extended:
        return _login(ctx, session)
    if session.device_id is None:
        # Traccar drops these too: without a login we cannot tell whose position it is.
        ctx.details["rejected"] = "no login yet"
        return Decoded(None, "other", details=ctx.details)
    message, fixes = decode_extended(ctx) if parsed.extended else _decode_basic(ctx)
    return Decoded(session.device_id, message, fixes, ctx.reply, ctx.details)


def _login(ctx: Context, session: SessionState) -> Decoded:
    r = ctx.reader
    digits = r.take(8).hex()
    if not digits.isdigit():
        raise FrameError("GT06 login: IMEI is not BCD")
    if r.remaining >= 2:
        ctx.details["type_id"] = r.u16()
    if r.remaining >= 2:
        # Time-zone extension: hhmm in the top 12 bits, bit 3 set means west of Greenwich.
        bits = r.u16()
        minutes = (bits >> 4) // 100 * 60 + (bits >> 4) % 100
        session.extra[TZ_KEY] = -minutes if bits & 0x08 else minutes
    session.device_id = digits[1:]  # eight BCD bytes: a leading 0, then the 15-digit IMEI
    reply = build_reply(LOGIN, ctx.frame.serial)
    return Decoded(session.device_id, "login", reply=reply, details=ctx.details)


def _decode_basic(ctx: Context) -> tuple[str, list[Fix]]:
    handler = _BASIC.get(ctx.frame.proto)
    if handler is None:
        message, fixes = "other", []
        ctx.details["unsupported"] = True
    else:
        message, fixes = handler(ctx)
    if ctx.reply is None and ctx.frame.proto not in _NO_ACK:
        ctx.reply = build_reply(ctx.frame.proto, ctx.frame.serial)
    return message, fixes
