"""Device-side frame builders: what real trackers send, for tests, the benchmark and field checks.

These build exactly the bytes a terminal puts on the wire (escaping, checksums, CRCs), using the same
framing helpers the decoders are tested with.
"""

from __future__ import annotations

import datetime as dt

from gps_gateway.protocols.common import CHINA_TZ
from gps_gateway.protocols.gt06.frames import build_reply as gt06_packet
from gps_gateway.protocols.jt808.frames import build_frame as jt808_frame


def jt808_location_body(
    when: dt.datetime, lat: float, lon: float, *, alarm: int = 0, valid: bool = True, speed_kmh: float = 0
) -> bytes:
    """A 0x0200 body: alarm, status (positioned, south, west), lat/lon ×1e6, altitude, speed, course, GMT+8 time."""
    status = (0x2 if valid else 0) | (0x4 if lat < 0 else 0) | (0x8 if lon < 0 else 0)
    bcd = bytes.fromhex(when.astimezone(CHINA_TZ).strftime("%y%m%d%H%M%S"))
    return (
        alarm.to_bytes(4, "big") + status.to_bytes(4, "big") + round(abs(lat) * 1e6).to_bytes(4, "big")
        + round(abs(lon) * 1e6).to_bytes(4, "big") + (30).to_bytes(2, "big") + round(speed_kmh * 10).to_bytes(2, "big")
        + (90).to_bytes(2, "big") + bcd
    )  # fmt: skip


def jt808_location(phone: str, serial: int, when: dt.datetime, lat: float, lon: float, **kw) -> bytes:
    return jt808_frame(0x0200, phone, serial, jt808_location_body(when, lat, lon, **kw))


def jt808_auth(phone: str, serial: int, code: str) -> bytes:
    return jt808_frame(0x0102, phone, serial, code.encode("gbk"))


def gt06_login(imei: str, serial: int = 1) -> bytes:
    return gt06_packet(0x01, serial, bytes.fromhex(imei.rjust(16, "0")))


def gt06_location(when: dt.datetime, lat: float, lon: float, serial: int) -> bytes:
    """A 0x12 GPS+LBS packet: UTC time, 12 satellites, lat/lon ×1,800,000, speed, course/status, one cell."""
    when = when.astimezone(dt.UTC)
    course_status = 90 | (1 << 12) | (1 << 10)  # course 90°, fixed, north, east
    content = (
        bytes([when.year - 2000, when.month, when.day, when.hour, when.minute, when.second, (12 << 4) | 9])
        + round(lat * 1_800_000).to_bytes(4, "big") + round(lon * 1_800_000).to_bytes(4, "big") + bytes([40])
        + course_status.to_bytes(2, "big") + (460).to_bytes(2, "big") + b"\x00" + (0x1234).to_bytes(2, "big")
        + (0x5678).to_bytes(3, "big")
    )  # fmt: skip
    return gt06_packet(0x12, serial, content)


def osmand_query(
    identifier: str, when: dt.datetime, lat: float, lon: float, *, keep_alive: bool = True
) -> bytes:
    """A Traccar Client GET, as the app sends it over a kept-alive connection."""
    target = (
        f"/?id={identifier}&timestamp={int(when.timestamp())}&lat={lat:.6f}&lon={lon:.6f}&speed=0&accuracy=8"
    )
    connection = "keep-alive" if keep_alive else "close"
    return f"GET {target} HTTP/1.1\r\nHost: gateway\r\nConnection: {connection}\r\n\r\n".encode("ascii")
