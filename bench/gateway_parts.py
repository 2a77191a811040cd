"""What each step of the gateway's per-fix path costs on its own: microseconds per call, best of 7 rounds.

Run: .venv/bin/python bench/gateway_parts.py

Pure functions only (no sockets, no database): splitting and decoding a JT/T 808 0x0200 and a GT06 0x12
frame as bench/gateway.py's devices send them, the pieces inside (checksum, header, BCD time, the 0x8001,
the GT06 CRC) and the filters of ``prepare``.  Costs here are lower than inside the running gateway, where
10,000 connections share the caches; compare runs of this script with each other (e.g. at two commits in
two worktrees), not with bench/gateway.py's CPU per fix.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gps_gateway.filters import FilterLimits, reject_reason  # noqa: E402
from gps_gateway.protocols import gt06, jt808  # noqa: E402
from gps_gateway.protocols.common import SessionState  # noqa: E402
from gps_gateway.protocols.gt06.frames import crc_x25  # noqa: E402
from gps_gateway.protocols.gt06.frames import split_frames as gt06_split  # noqa: E402
from gps_gateway.protocols.jt808.frames import (  # noqa: E402
    checksum_ok,
    china_time,
    general_response,
    parse_header,
)
from gps_gateway.protocols.jt808.frames import split_frames as jt808_split  # noqa: E402
from gps_gateway.simulate import gt06_location, jt808_location  # noqa: E402


def per_call(function, number: int = 20_000) -> float:
    return min(timeit.repeat(function, number=number, repeat=7)) / number * 1e6


def main() -> None:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    jt808_wire = jt808_location("13800000001", 7, when, 30.1, 120.2)
    frame = jt808_split(jt808_wire).frames[0]
    header = parse_header(frame)
    body = frame[header.header_length : -1]
    session = SessionState()
    gt06_wire = gt06_location(when, 30.1, 120.2, 5)
    gt06_session = SessionState(device_id="123456789012345")
    gt06_frame = gt06_split(gt06_wire).frames[0]
    fix = jt808.decode(frame, session).fixes[0]
    limits = FilterLimits()
    now = dt.datetime.now(dt.UTC)
    steps = {
        "JT/T 808 split + decode + 0x8001": lambda: jt808.decode(jt808_split(jt808_wire).frames[0], session),
        "  decode (frame already cut)": lambda: jt808.decode(frame, session),
        "  checksum": lambda: checksum_ok(frame),
        "  header": lambda: parse_header(frame),
        "  BCD time": lambda: china_time(body[22:28]),
        "  0x8001": lambda: general_response(header.phone_bytes, 1, False, header.serial, header.msg_id, 0),
        "GT06 split + decode + reply": lambda: gt06.decode(gt06_split(gt06_wire).frames[0], gt06_session),
        "  CRC-16/X-25 of the frame": lambda: crc_x25(gt06_frame[2:-4]),
        "filters of one fix": lambda: reject_reason(fix, now, None, limits),
    }
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    print(f"µs per call, best of 7 rounds of 20,000 (at {commit.stdout.strip() or 'unknown commit'})")
    for name, function in steps.items():
        print(f"  {name:<40} {per_call(function):7.2f}")


if __name__ == "__main__":
    main()
