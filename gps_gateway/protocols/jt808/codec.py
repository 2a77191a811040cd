"""JT/T 808 (道路运输车辆卫星定位系统终端通讯协议, 2011/2013/2019) decoder: one frame in, one ``Decoded`` out.

Pure: no I/O, no clock.  The gateway splits the stream with ``split_frames``, calls ``decode`` per frame
with the connection's ``SessionState`` and the device's model, commits the fixes, then sends ``reply``.
Register (0x0100) and authentication (0x0102) are answered by the gateway itself, because only it knows
whether the terminal is provisioned; ``details`` carries what it needs (``register_response`` builds
the 0x8100).
"""

from __future__ import annotations

from collections.abc import Callable

from gps_gateway.protocols.common import Decoded, Fix, FrameError, SessionState
from gps_gateway.protocols.jt808 import vendor
from gps_gateway.protocols.jt808.frames import (
    Header,
    Reader,
    checksum,
    checksum_ok,
    device_id_from_phone,
    escape,
    general_response,
    lock_response,
    parse_header,
    reassemble,
    register_response,
    split_frames,
    unescape,
)
from gps_gateway.protocols.jt808.location import MODEL_ALARMS, STANDARD_ALARMS, decode_location
from gps_gateway.protocols.jt808.vendor import lock_time_reply

__all__ = [
    "MODEL_ALARMS",
    "STANDARD_ALARMS",
    "Header",
    "checksum_ok",
    "decode",
    "decode_message",
    "escape",
    "general_response",
    "lock_time_reply",
    "parse_header",
    "reassemble",
    "register_response",
    "split_frames",
    "unescape",
]

RESULT_OK = 0

# Terminal messages the standard answers with a platform general response (0x8001).
ACKNOWLEDGED = frozenset({0x0002, 0x0003, 0x0107, 0x0200, 0x0210, 0x0702, 0x0704, 0x0900, 0x6006})


def decode(
    frame: bytes,
    session: SessionState,
    *,
    model: str | None = None,
    verify_checksum: bool = True,
    verify_length: bool = True,
) -> Decoded:
    """Decode one unescaped frame (flags removed, checksum last), or an ASCII ``( … )`` lock sentence.

    A frame whose body-length field (the low 10 bits of the message body attributes) disagrees with the
    body it carries is refused (``FrameError`` with reason ``length_mismatch``): a body cut short, or
    bytes that do not belong to it, still pass an XOR checksum computed over what arrived.

    With ``verify_checksum=False`` a frame whose checksum fails is still read; if it only checks with
    its 7D bytes taken literally (a terminal that does not escape), that reading is used.  With
    ``verify_length=False`` a length field that disagrees is tolerated, as Traccar does.  Both are for
    replaying the captures (tests/conformance), never for the gateway.
    """
    if frame[:1] == b"(":
        return _lock_sentence(frame, session)
    frame = _checked(frame, verify_checksum)
    header = parse_header(frame)
    session.device_id = device_id_from_phone(header)
    session.protocol_version = header.protocol_version
    body = frame[header.header_length : -1]
    mismatch = header.body_length != len(body)
    if mismatch and verify_length:
        raise FrameError(
            f"body length field {header.body_length} != body of {len(body)} bytes", reason="length_mismatch"
        )
    if header.subpackage:
        return _fragment(header, body, session)
    result = decode_message(header, body, session, model=model)
    if mismatch:
        result.details["length_mismatch"] = True
    return result


def _checked(frame: bytes, verify: bool) -> bytes:
    if len(frame) < 13:
        raise FrameError(f"frame of {len(frame)} bytes is shorter than any header")
    if checksum_ok(frame):
        return frame
    if verify:
        raise FrameError(f"checksum {frame[-1]:02x} != {checksum(frame[:-1]):02x}")
    literal = escape(frame)
    return literal if literal != frame and checksum_ok(literal) else frame


def decode_message(
    header: Header, body: bytes, session: SessionState, *, model: str | None = None
) -> Decoded:
    """Decode a message body; the gateway calls this directly with a body from ``reassemble``."""
    device_id = device_id_from_phone(header)
    details: dict[str, object] = {
        "msg_id": header.msg_id,
        "serial": header.serial,
        "terminal_phone": header.phone,
        "version_2019": header.version_2019,
        "protocol_version": header.protocol_version,
    }
    if header.encrypted:
        details["encrypted"] = True  # RSA bodies need the platform key exchange, which we do not run
        return Decoded(device_id, "other", details=details)
    handler = _HANDLERS.get(header.msg_id, _other)
    message, fixes = handler(header, body, model, details)
    reply = None
    if header.msg_id in ACKNOWLEDGED:
        reply = _ok(header, session)
    elif header.reply_requested:
        reply = lock_response(header.phone_bytes, header.msg_id)
    return Decoded(device_id, message, fixes, reply, details)


def _ok(header: Header, session: SessionState) -> bytes:
    # The platform's own serial counts per connection; terminals match replies by the reply serial.
    serial = session.extra.get("platform_serial", 0)
    session.extra["platform_serial"] = (serial + 1) & 0xFFFF
    return general_response(
        header.phone_bytes,
        serial,
        header.version_2019,
        header.serial,
        header.msg_id,
        RESULT_OK,
        header.protocol_version,
    )


def _fragment(header: Header, body: bytes, session: SessionState) -> Decoded:
    details = {
        "msg_id": header.msg_id,
        "serial": header.serial,
        "total": header.packet_total,
        "index": header.packet_index,
        "header": header,
        "body": body,
    }
    return Decoded(session.device_id, "fragment", details=details)


def _lock_sentence(frame: bytes, session: SessionState) -> Decoded:
    sentence = frame.decode("latin-1")
    device_id = session.device_id or sentence[1:].split(",", 1)[0]
    if "BASE,2" in sentence:  # the lock asks for the time; the gateway answers with lock_time_reply
        return Decoded(device_id, "other", details={"time_request": sentence})
    return Decoded(device_id, "response", [vendor.facts(result=sentence)])


# --- message handlers: (header, body, model, details) -> (message, fixes) -------------------------

Handled = tuple[str, list[Fix]]
Handler = Callable[[Header, bytes, str | None, dict[str, object]], Handled]


def _other(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    return "other", []


def _heartbeat(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    if len(body) < 3:
        return "heartbeat", []
    level, rssi, status = body[0], body[1], body[2]  # some wristbands put their state in the heartbeat
    fix = vendor.facts(batteryLevel=level, rssi=rssi, status=status)
    fix.battery_pct = level if level <= 100 else None
    return "heartbeat", [fix]


def _logout(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    return "logout", []


def _terminal_response(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    reader = Reader(body)
    details.update(reply_serial=reader.u16(), reply_id=reader.u16(), result=reader.u8())
    return "response", []


def _register(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    """0x0100.  2019 widens maker/model/id to 11/30/30 bytes, 2011 has an 8-byte model."""
    reader = Reader(body)
    details["province"], details["city"] = reader.u16(), reader.u16()
    if header.version_2019:
        sizes = (11, 30, 30)
    else:  # 2013's fixed part is 37 bytes; shorter bodies can only be 2011's
        sizes = (5, 20, 7) if len(body) >= 37 else (5, 8, 7)
    maker, model_name, terminal_id = (reader.take(size) for size in sizes)
    details.update(maker=_text(maker), model=_text(model_name), terminal_id=_identifier(terminal_id))
    if reader.remaining:
        details["plate_colour"] = reader.u8()
        details["plate"] = _text(reader.rest())
    return "register", []


def _auth(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    """0x0102.  2013: the code is the whole body; 2019: length, code, IMEI[15], software version[20]."""
    if not header.version_2019:
        details["auth_code"] = _text(body)
        return "auth", []
    reader = Reader(body)
    details["auth_code"] = _text(reader.take(reader.u8()))
    details["imei"] = _text(reader.take(15))
    details["software_version"] = _text(reader.take(20))
    return "auth", []


def _text(data: bytes) -> str:
    return data.decode("gbk", "replace").rstrip("\x00 ").strip()


def _identifier(data: bytes) -> str:
    """Letters and digits by the standard; some terminals put their BCD phone there instead."""
    data = data.rstrip(b"\x00")
    return data.decode("ascii") if data.isascii() and data.decode("ascii").isprintable() else data.hex()


def _location(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    if header.msg_id == 0x0201:
        body = body[2:]  # on-demand location answer: the serial of the 0x8201 first
    fix, skipped = decode_location(body, model)
    if skipped:
        details["skipped_extras"] = skipped
    return "location", [fix]


def _batch(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    """0x0704 (count WORD, type BYTE: 1 = blind-area back-fill, items with WORD lengths) and the vendor
    0x0210 (items with BYTE lengths; a 7-byte body is a battery report instead)."""
    reader = Reader(body)
    if header.msg_id == 0x0210 and len(body) == 7:
        return "other", [vendor.battery_report(body)]
    archive = False
    if header.msg_id == 0x0704:
        details["count"] = reader.u16()
        details["type"] = reader.u8()
        archive = details["type"] != 0
    fixes = []
    while reader.remaining:
        size = reader.u8() if header.msg_id == 0x0210 else reader.u16()
        fix, _ = decode_location(reader.take(size), model)
        fix.archive = archive
        fixes.append(fix)
    return "batch", fixes


def _lock_location(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    return "location", [vendor.lock_location(body, blind=header.msg_id == 0x5502)]


def _transparent(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    fix = vendor.transparent(body, model)
    if fix is None:
        return "other", []
    return ("location" if fix.latitude is not None else "other"), [fix]


def _parameters(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
    details["parameters"] = vendor.parameters(body)
    return "response", []


def _facts(read: Callable[[bytes], Fix], message: str = "other") -> Handler:
    def handler(header: Header, body: bytes, model: str | None, details: dict[str, object]) -> Handled:
        return message, [read(body)]

    return handler


_HANDLERS: dict[int, Handler] = {
    0x0001: _terminal_response,
    0x0002: _heartbeat,
    0x0003: _logout,
    0x0100: _register,
    0x0102: _auth,
    0x0104: _parameters,
    0x0107: lambda header, body, model, details: ("other", [vendor.terminal_attributes(body, header)]),
    0x0200: _location,
    0x0201: _location,
    0x0210: _batch,
    0x0701: _facts(vendor.command_result, "response"),
    0x0702: _facts(vendor.driver_identity),
    0x0704: _batch,
    0x0900: _transparent,
    0x1300: _facts(vendor.text_response, "response"),
    0x2070: _facts(vendor.acceleration),
    0x5501: _lock_location,
    0x5502: _lock_location,
    0x6006: _facts(vendor.text_report, "response"),
}
