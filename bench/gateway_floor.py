"""The floor under bench/gateway.py: the leanest pipeline this machine runs in Python, for comparison.

Not the product.  Two forked worker processes share one listening socket; each reads JT/T 808 0x0200
frames with uvloop, parses them with two struct calls, hands them to a writer thread that seals the
point and a small attributes object with AES-GCM (as the product stores them), inserts them into SQLite
(WAL, synchronous=FULL, 400-row statements, the workers taking turns under an ``flock``) and, after the
commit, writes each connection's 0x8001.  The load generator is the same kind of asyncio process as bench/gateway.py's, on
the same machine: 10,000 devices, each sending its next fix once the last one is acknowledged.

What it leaves out is what the product's path adds: authentication state, the general decoders (every
message id, extras, vendors), filters and the late flag, the reply ordering per connection, alarms,
hooks, counters.  The difference between this figure and bench/gateway.py's is the cost of those; the
switches show what the table shape costs by itself:

    .venv/bin/python bench/gateway_floor.py                    # the product's table (since migration
                                                               # monitoring.0010): unique (device_id, fix_time)
    .venv/bin/python bench/gateway_floor.py --person-index     # the table before 0010: also (person_id, fix_time)
    .venv/bin/python bench/gateway_floor.py --time-first       # unique (fix_time, device_id) only
    .venv/bin/python bench/gateway_floor.py --product-decoder  # gps_gateway's JT/T 808 decoder and reply
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import fcntl
import json
import os
import resource
import socket
import sqlite3
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvloop
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gps_gateway.protocols.jt808.frames import checksum, escape  # noqa: E402
from gps_gateway.simulate import jt808_location  # noqa: E402

HEADER = struct.Struct(">HH6sH")  # 2013 header: message id, attributes, BCD phone, serial
LOCATION = struct.Struct(">IIIIHHH6s")  # alarm word, status, lat, lon, altitude, speed, course, BCD time
COLUMNS = (
    "device_id, person_id, fix_time, received_at, point, valid, source, speed_kmh, course, altitude_m, "
    "satellites, battery_pct, alarms, late, archive, attributes"
)


def create_table(path: str, args: argparse.Namespace) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE position (id integer PRIMARY KEY AUTOINCREMENT, device_id integer NOT NULL, "
        "person_id integer, fix_time datetime NOT NULL, received_at datetime NOT NULL, point text, "
        "valid bool NOT NULL, source varchar(8) NOT NULL, accuracy_m real, speed_kmh real, course real, "
        "altitude_m real, satellites smallint, battery_pct smallint, alarms varchar(200) NOT NULL, "
        "late bool NOT NULL, archive bool NOT NULL, attributes text)"
    )
    keys = "fix_time, device_id" if args.time_first else "device_id, fix_time"
    db.execute(f"CREATE UNIQUE INDEX position_once ON position ({keys})")
    if args.person_index and not args.time_first:
        db.execute("CREATE INDEX position_by_person ON position (person_id, fix_time)")
    db.close()


def frame_of(payload: bytes) -> bytes:
    """Flags, escaping and checksum around a header and body: the product's framing helpers."""
    return b"\x7e" + escape(payload + bytes([checksum(payload)])) + b"\x7e"


def lean_reader():
    """Frame → (device key, fix_time text, lat, lon, altitude, speed, course, alarm word), and the 0x8001."""

    def read(frame: bytes):
        if b"\x7d" in frame:
            frame = frame.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
        msg_id, _, phone, serial = HEADER.unpack_from(frame)
        reply = frame_of(HEADER.pack(0x8001, 5, phone, serial) + struct.pack(">HHB", serial, msg_id, 0))
        if msg_id != 0x0200:
            return None, reply
        alarm, _, lat, lon, alt, speed, course, bcd = LOCATION.unpack_from(frame, 12)
        h = bcd.hex()
        local = dt.datetime(
            2000 + int(h[0:2]), int(h[2:4]), int(h[4:6]), int(h[6:8]), int(h[8:10]), int(h[10:12])
        )
        when = (local - dt.timedelta(hours=8)).isoformat(" ")
        return (phone, when, lat / 1e6, lon / 1e6, float(alt), speed / 10, float(course), alarm), reply

    return read


def product_reader():
    """The same, through gps_gateway's decoder (checksum, header, every field, extras) and its 0x8001."""
    from gps_gateway.protocols import jt808
    from gps_gateway.protocols.common import SessionState

    sessions: dict[bytes, SessionState] = {}

    def read(frame: bytes):
        frame = jt808.unescape(frame)
        session = sessions.setdefault(frame[4:10], SessionState())
        decoded = jt808.decode(frame, session)
        if not decoded.fixes:
            return None, decoded.reply
        fix = decoded.fixes[0]
        when = fix.fix_time.replace(tzinfo=None).isoformat(" ")
        row = (frame[4:10], when, fix.latitude, fix.longitude, fix.altitude_m, fix.speed_kmh, fix.course, 0)
        return row, decoded.reply

    return read


def worker(listener: socket.socket, path: str, args: argparse.Namespace) -> None:
    uvloop.install()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    read = product_reader() if args.product_decoder else lean_reader()
    key = AESGCM(AESGCM.generate_key(bit_length=256))
    pending: list = []
    ready = threading.Condition()
    lock_fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA cache_size=-65536")
    db.execute("PRAGMA temp_store=MEMORY")
    one = "(" + ", ".join(["?"] * 16) + ")"
    statements: dict[int, str] = {}  # rows → one multi-row INSERT, as the product's writer does

    def insert(rows: list) -> None:
        sql = statements.get(len(rows))
        if sql is None:
            values = ", ".join([one] * len(rows))
            sql = statements[len(rows)] = (
                f"INSERT INTO position ({COLUMNS}) VALUES {values} ON CONFLICT DO NOTHING"
            )
        db.execute(sql, [value for row in rows for value in row])

    device_ids: dict[bytes, int] = {}

    def seal(plain: bytes) -> str:
        nonce = os.urandom(12)
        return "v1:" + base64.b64encode(nonce + key.encrypt(nonce, plain, b"position")).decode()

    def acknowledge(batch: list) -> None:
        for _, transport, reply in batch:
            if not transport.is_closing():
                transport.write(reply)

    def write() -> None:
        while True:
            with ready:
                while not pending:
                    ready.wait()
                batch = pending[:]
                pending.clear()
            rows = []
            for (phone, when, lat, lon, alt, speed, course, alarm), _, _ in batch:
                device = device_ids.setdefault(phone, len(device_ids) + 1 + os.getpid() * 100_000)
                attributes = seal(json.dumps({"ignition": False, "blocked": False, "charge": False}).encode())
                rows.append((device, device, when, when, seal(f"[{lat!r},{lon!r}]".encode()), True, "gnss",
                             speed, course, alt, None, None, "sos" if alarm & 1 else "", False, False, attributes))  # fmt: skip
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            try:
                db.execute("BEGIN IMMEDIATE")
                for start in range(0, len(rows), 400):
                    insert(rows[start : start + 400])
                db.execute("COMMIT")
            finally:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)
            loop.call_soon_threadsafe(acknowledge, batch)

    threading.Thread(target=write, daemon=True).start()

    class Connection(asyncio.Protocol):
        def connection_made(self, transport) -> None:
            self.transport, self.buffer = transport, b""

        def data_received(self, data: bytes) -> None:
            data = self.buffer + data if self.buffer else data
            start = 0
            while (end := data.find(b"\x7e", start + 1)) > start:
                row, reply = read(data[start + 1 : end])
                if row is None:
                    self.transport.write(reply)
                else:
                    with ready:
                        pending.append((row, self.transport, reply))
                        ready.notify()
                start = end + 1
                if start >= len(data) or data[start] != 0x7E:
                    break
            self.buffer = data[start:] if start < len(data) else b""

    async def serve() -> None:
        await loop.create_server(Connection, sock=listener, backlog=4096)
        await asyncio.Event().wait()

    loop.run_until_complete(serve())


def load(port: int, devices: int, per_device: int) -> tuple[float, list[float], float]:
    """Closed loop over real sockets: (fixes/s, ack latencies, load-generator CPU seconds)."""
    uvloop.install()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)
    latencies: list[float] = []

    class Device(asyncio.Protocol):
        def __init__(self, index: int) -> None:
            # The frames bench/gateway.py's JT/T 808 devices send (0x0200, no extras, one every 30 s).
            phone = f"0199{index:08d}"
            self.frames = [
                jt808_location(
                    phone, n + 2, start + dt.timedelta(seconds=30 * n), 30.0 + index * 1e-4, 120.0 + n * 1e-5
                )
                for n in range(per_device)
            ]
            self.position, self.sent, self.received = 0, 0.0, b""
            self.done = asyncio.get_running_loop().create_future()

        def connection_made(self, transport) -> None:
            self.transport = transport

        def send(self) -> None:
            self.sent = time.perf_counter()
            self.transport.write(self.frames[self.position])

        def data_received(self, data: bytes) -> None:
            self.received += data
            if len(self.received) < 2 or not self.received.endswith(b"\x7e"):
                return  # the rest of the reply is still on its way
            self.received = b""
            latencies.append(time.perf_counter() - self.sent)
            self.position += 1
            if self.position == len(self.frames):
                self.transport.close()
                self.done.set_result(None)
            else:
                self.send()

    async def run() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        fleet = [Device(i) for i in range(devices)]
        gate = asyncio.Semaphore(1000)

        async def connect(device: Device) -> None:
            async with gate:
                await loop.create_connection(lambda: device, "127.0.0.1", port)

        await asyncio.gather(*(connect(d) for d in fleet))
        print(f"  {devices:,} devices connected; sending", flush=True)
        cpu = time.process_time()
        began = time.perf_counter()
        for device in fleet:
            device.send()
        await asyncio.gather(*(d.done for d in fleet))
        return time.perf_counter() - began, time.process_time() - cpu

    elapsed, cpu = asyncio.run(run())
    return devices * per_device / elapsed, latencies, cpu


def process_cpu(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--time-first", action="store_true", help="unique (fix_time, device_id), no person index"
    )
    parser.add_argument(
        "--person-index", action="store_true", help="also (person_id, fix_time), as before monitoring.0010"
    )
    parser.add_argument("--product-decoder", action="store_true")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a socket per device, both ends here
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    per_device = args.fixes // args.devices
    with tempfile.TemporaryDirectory(prefix="anbang-floor-") as folder:
        path = os.path.join(folder, "floor.sqlite3")
        create_table(path, args)
        listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
        port = listener.getsockname()[1]
        pids = []
        for _ in range(args.workers):
            pid = os.fork()
            if pid == 0:
                try:
                    worker(listener, path, args)
                finally:
                    os._exit(0)
            pids.append(pid)
        listener.close()
        shape = "unique (fix_time, device_id)" if args.time_first else "unique (device_id, fix_time)"
        if args.person_index and not args.time_first:
            shape += " + (person_id, fix_time)"
        decoder = "gps_gateway's JT/T 808 decoder" if args.product_decoder else "two struct calls"
        print(f"{args.devices:,} devices × {per_device} fixes, {args.workers} workers; {shape}; {decoder}")
        try:
            gateway_cpu = process_cpu(pids)
            rate, latencies, load_cpu = load(port, args.devices, per_device)
            gateway_cpu = process_cpu(pids) - gateway_cpu
        finally:
            for pid in pids:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
        total = args.devices * per_device
        stored = sqlite3.connect(path).execute("SELECT count(*) FROM position").fetchone()[0]
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2] * 1e3, latencies[int(len(latencies) * 0.99)] * 1e3
        print(f"  floor: {rate:,.0f} fixes/s acked after commit; ack p50 {p50:.0f} ms  p99 {p99:.0f} ms")
        print(
            f"  CPU per fix: workers {gateway_cpu / total * 1e6:.0f} µs, load generator {load_cpu / total * 1e6:.0f} µs"
        )
        print(f"  stored {stored:,} of {total:,} acknowledged fixes")
        if stored != total:
            sys.exit("fixes acknowledged but not stored")


if __name__ == "__main__":
    main()
