"""Gateway throughput and ack latency: 10,000 simulated devices over real sockets, every fix acknowledged
only after it is committed, with the raw SQLite insert ceiling measured in the same run.

Run: .venv/bin/python bench/gateway.py [--devices 10000] [--fixes 1000000] [--paced-rate 10000] [--keep]
     [--time-first-table]  (measurement only: the table with a time-first unique index, see make_table_time_first)

Mix: 70 % JT/T 808 (registered, authenticated, 0x0200 per fix, 0x8001 ack), 20 % GT06 (login, 0x12 per
fix, echoed ack), 10 % OsmAnd (HTTP keep-alive GET per fix, 200).  Each device sends its next fix only
after the previous one was acknowledged, as trackers do.  The gateway runs as its own process
(`manage.py rungateway`); the load generator is one asyncio process on the same 2-core machine.
At the end every acknowledged fix is counted in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import data_folder, environment, free_ports  # noqa: E402

AUTH_CODE = "benchcode0000001"


def provision(devices: int) -> dict[str, list]:
    from django.core.management import call_command

    from backend.core.models import Jurisdiction
    from backend.monitoring.models import Device

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    office = Jurisdiction.objects.get(code="990102001000")
    digest = hashlib.sha256(AUTH_CODE.encode()).hexdigest()
    fleet = {"jt808": [], "gt06": [], "osmand": []}
    rows = []
    for n in range(devices):
        share = n % 10
        if share < 7:
            phone = f"0198{n:08d}"
            fleet["jt808"].append(phone)
            rows.append(
                Device(
                    jurisdiction=office,
                    kind="tag",
                    protocol="jt808",
                    identifier=phone.lstrip("0"),
                    auth_code_digest=digest,
                )
            )
        elif share < 9:
            imei = f"86{n:013d}"
            fleet["gt06"].append(imei)
            rows.append(Device(jurisdiction=office, kind="tag", protocol="gt06", identifier=imei))
        else:
            issued = f"bench{n:015d}"
            fleet["osmand"].append(issued)
            rows.append(
                Device(
                    jurisdiction=office,
                    kind="phone",
                    protocol="osmand",
                    identifier=hashlib.sha256(issued.encode()).hexdigest(),
                )
            )
    Device.objects.bulk_create(rows, batch_size=2000)
    return fleet


def wear_alarm_devices(phones: list[str]) -> None:
    """Synthetic persons wearing the first JT/T 808 devices, so their SOS frames become alerts."""
    from backend.core.models import Jurisdiction, User
    from backend.monitoring.models import Device
    from backend.people.actions.persons import PersonData, register_person
    from backend.people.idcard import check_character

    office = Jurisdiction.objects.get(code="990102001000")
    officer = User.objects.get(username="demo_officer_dc")
    for n, phone in enumerate(phones):
        first17 = f"97{n:04d}19900101{n % 1000:03d}"
        data = PersonData(name=f"压测佩戴者{n:04d}", id_number=first17 + check_character(first17))
        person = register_person(by=officer, jurisdiction=office, data=data)
        Device.objects.filter(protocol="jt808", identifier=phone.lstrip("0")).update(
            person=person, kind="watch"
        )


def make_table_time_first(db_path: str) -> None:
    """``--time-first-table``: monitoring_position rebuilt with one index, unique (fix_time, device_id), in
    place of unique (device_id, fix_time), the table's one index since migration 0010 (before it, also
    (person_id, fix_time)).  The writer's ON CONFLICT target is
    the same pair of columns, so the gateway runs unchanged; but no reader could find a device's or a
    person's fixes quickly in this table — it measures what the product table's shape costs, nothing more."""
    raw = sqlite3.connect(db_path, isolation_level=None)
    (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'monitoring_position'").fetchone()
    time_first = sql.replace('UNIQUE ("device_id", "fix_time")', 'UNIQUE ("fix_time", "device_id")')
    if time_first == sql:
        raise SystemExit(
            "monitoring_position no longer has the unique (device_id, fix_time) this option swaps"
        )
    raw.executescript(f"BEGIN; DROP TABLE monitoring_position; {time_first}; COMMIT;")
    raw.close()


def insert_ceiling(db_path: str, count: int = 200_000) -> tuple[float, float]:
    """Rows/s for raw executemany into monitoring_position (same table, same unique index, WAL, FULL):
    first with pre-built tuples (SQLite alone), then including the writer's encryption of each row."""
    from django.db import connection, transaction
    from django.utils import timezone

    from backend.monitoring.ingest.encoder import COLUMNS, Encoder
    from backend.monitoring.models import Device
    from gps_gateway.protocols.common import Fix
    from gps_gateway.rows import FixRow

    device_ids = list(Device.objects.values_list("id", flat=True)[:1000])
    base = timezone.now() - dt.timedelta(days=400)
    encoder = Encoder()
    fix_rows = [
        FixRow(
            device_ids[i % len(device_ids)],
            None,
            Fix(
                fix_time=base + dt.timedelta(seconds=i),
                latitude=30.1,
                longitude=120.2,
                valid=True,
                speed_kmh=3.0,
            ),
            base,
            False,
        )
        for i in range(count)
    ]
    encoded = [encoder.encode(r) for r in fix_rows]
    sql = f"INSERT INTO monitoring_position ({', '.join(COLUMNS)}) VALUES ({', '.join(['?'] * len(COLUMNS))}) ON CONFLICT (device_id, fix_time) DO NOTHING"
    raw = sqlite3.connect(db_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    started = time.perf_counter()
    for start in range(0, count, 2000):
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(sql, encoded[start : start + 2000])
        raw.execute("COMMIT")
    raw_rate = count / (time.perf_counter() - started)
    raw.execute("DELETE FROM monitoring_position")
    started = time.perf_counter()
    for start in range(0, count, 2000):
        params = [encoder.encode(r) for r in fix_rows[start : start + 2000]]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), params)
    encoded_rate = count / (time.perf_counter() - started)
    raw.execute("DELETE FROM monitoring_position")
    raw.close()
    connection.close()
    return raw_rate, encoded_rate


# --- load generator ---------------------------------------------------------------------------------


class Load:
    def __init__(
        self,
        ports: dict[str, int],
        per_device: int,
        start: dt.datetime,
        interval: float = 0.0,
        sos: dict | None = None,
    ) -> None:
        self.ports, self.per_device, self.start = ports, per_device, start
        self.sos = sos or {}  # phone -> index of the fix sent with the SOS bit
        self.sos_sent: dict[str, float] = {}  # phone -> wall-clock time the SOS frame was written
        self.interval = (
            interval  # 0: send the next fix as soon as the last is acked; > 0: report on a schedule
        )
        self.latencies: list[float] = []
        self.acked = 0
        self.failed = 0
        self.go: asyncio.Future | None = None  # set by drive(): every device starts sending at once
        self.ready = 0
        self.gateway_pid: int | None = None
        self.cpu: tuple[float, float] = (0.0, 0.0)  # gateway processes, load generator: CPU seconds

    def when(self, n: int) -> dt.datetime:
        return self.start + dt.timedelta(seconds=n * 30)

    def jt808(self, phone: str, index: int) -> Tracker:
        from gps_gateway.simulate import jt808_auth, jt808_location

        sos_at = self.sos.get(phone)
        frames = [
            jt808_location(
                phone,
                n + 2,
                self.when(n),
                30.0 + index * 1e-4,
                120.0 + n * 1e-5,
                alarm=1 if n == sos_at else 0,
            )
            for n in range(self.per_device)
        ]
        sos = (sos_at, phone) if sos_at is not None else None
        return Tracker(self, "jt808", frames, jt808_auth(phone, 1, AUTH_CODE), jt808_answered, sos)

    def gt06(self, imei: str, index: int) -> Tracker:
        from gps_gateway.simulate import gt06_location, gt06_login

        frames = [
            gt06_location(self.when(n), 30.0 + index * 1e-4, 120.0 + n * 1e-5, n + 2)
            for n in range(self.per_device)
        ]
        return Tracker(self, "gt06", frames, gt06_login(imei), gt06_answered)

    def osmand(self, issued: str, index: int) -> Tracker:
        from gps_gateway.simulate import osmand_query

        frames = [
            osmand_query(issued, self.when(n), 30.0 + index * 1e-4, 120.0 + n * 1e-5)
            for n in range(self.per_device)
        ]
        return Tracker(self, "osmand", frames, None, osmand_answered)


def jt808_answered(buffer: bytes) -> int:
    """Bytes of one complete reply at the start of ``buffer`` (0: not complete yet)."""
    from gps_gateway.protocols.jt808.frames import split_frames

    split = split_frames(buffer)
    return len(buffer) - len(split.rest) if split.frames else 0


def gt06_answered(buffer: bytes) -> int:
    if len(buffer) < 3 or len(buffer) < buffer[2] + 5:
        return 0
    return buffer[2] + 5


def osmand_answered(buffer: bytes) -> int:
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return 0
    if not buffer.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(buffer[:40])
    return end + 4


class Tracker(asyncio.Protocol):
    """One simulated device on its own socket: its hello (JT/T 808 authentication, GT06 login) and then
    each fix once the previous one is acknowledged — or, paced, at its next reporting time if that is
    later.  A protocol object rather than a coroutine with streams, so the load generator spends less of
    the machine's two cores that the gateway is measured on."""

    def __init__(self, load: Load, protocol: str, frames, hello, answered, sos=None) -> None:
        self.load, self.protocol, self.frames, self.hello = load, protocol, frames, hello
        self.answered, self.sos = answered, sos
        self.loop = asyncio.get_running_loop()
        self.finished = self.loop.create_future()
        self.buffer = b""
        self.position = -1  # -1: the hello's answer is awaited
        self.sent = self.due = 0.0

    def connection_made(self, transport) -> None:
        self.transport = transport
        if self.hello:
            transport.write(self.hello)
        else:
            self._ready()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        used = self.answered(self.buffer)
        if not used:
            return
        self.buffer = self.buffer[used:]
        if self.position < 0:
            self._ready()
            return
        load = self.load
        load.latencies.append(time.perf_counter() - self.sent)
        load.acked += 1
        self.position += 1
        if self.position == len(self.frames):
            self.transport.close()
            if not self.finished.done():
                self.finished.set_result(None)
        else:
            self._next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self.finished.set_exception(
                ConnectionError(f"closed after {max(self.position, 0)} fixes: {exc!r}")
            )

    def _ready(self) -> None:
        self.position = 0
        self.load.ready += 1
        self.load.go.add_done_callback(self._begin)

    def _begin(self, _) -> None:
        if self.load.interval:  # paced devices start at a random point of their interval, as a fleet does
            self.due = self.loop.time() + secrets.randbelow(1000) / 1000 * self.load.interval
        self._next()

    def _next(self) -> None:
        if self.load.interval:
            when, self.due = self.due, self.due + self.load.interval
            if when > self.loop.time():
                self.loop.call_at(when, self._send)
                return
        self._send()

    def _send(self) -> None:
        if self.sos is not None and self.position == self.sos[0]:
            self.load.sos_sent[self.sos[1]] = time.time()
        self.sent = time.perf_counter()
        self.transport.write(self.frames[self.position])


async def drive(load: Load, fleet: dict[str, list], total_devices: int) -> float:
    loop = asyncio.get_running_loop()
    load.go = loop.create_future()
    gate = asyncio.Semaphore(1000)  # connections being opened at once

    async def device(tracker: Tracker) -> None:
        try:
            async with gate:
                await loop.create_connection(lambda: tracker, "127.0.0.1", load.ports[tracker.protocol])
            await tracker.finished
        except (ConnectionError, OSError) as exc:
            load.failed += 1
            print(f"  device failed: {exc!r}", flush=True)

    trackers = [load.jt808(phone, index) for index, phone in enumerate(fleet["jt808"])]
    trackers += [load.gt06(imei, index) for index, imei in enumerate(fleet["gt06"])]
    trackers += [load.osmand(issued, index) for index, issued in enumerate(fleet["osmand"])]
    tasks = [asyncio.create_task(device(tracker)) for tracker in trackers]
    while load.ready + load.failed < total_devices:
        await asyncio.sleep(0.2)
    print(f"  {load.ready:,} devices connected and authenticated; sending", flush=True)
    started = time.perf_counter()
    cpu_gateway, cpu_self = tree_cpu_seconds(load.gateway_pid), time.process_time()
    load.go.set_result(None)
    last, last_t = 0, started
    while not all(t.done() for t in tasks):
        await asyncio.sleep(1)
        now = time.perf_counter()
        if now - last_t >= 10:
            print(f"  {load.acked:>9,} acked  {(load.acked - last) / (now - last_t):>8,.0f}/s", flush=True)
            last, last_t = load.acked, now
    load.cpu = (tree_cpu_seconds(load.gateway_pid) - cpu_gateway, time.process_time() - cpu_self)
    return time.perf_counter() - started


def tree_cpu_seconds(pid: int | None) -> float:
    """User + system CPU of a process and its descendants (Linux /proc; 0 elsewhere).  CPU per fix is
    the figure to compare changes by on a machine shared with other work: throughput moves with the
    neighbours' load, the CPU a fix costs much less."""
    if pid is None or not Path("/proc/self/stat").exists():
        return 0.0
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))]


def report_sos(sent: dict[str, float]) -> None:
    """Fix received → alert committed: from the moment each SOS frame was written to its alert's commit."""
    from backend.monitoring.models import Alert, Device, Position
    from gps_gateway.protocols.common import Alarm

    phone_of = {
        person: "0" + ident
        for person, ident in Device.objects.filter(person__isnull=False).values_list(
            "person_id", "identifier"
        )
    }
    delays = sorted(
        (alert.opened_at.timestamp() - sent[phone_of[alert.person_id]]) * 1000
        for alert in Alert.objects.filter(kind="sos")
        if phone_of.get(alert.person_id) in sent
    )
    if delays:
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(
            f"  SOS fix sent -> alert committed: {len(delays)} of {len(sent)}; p50 {delays[len(delays) // 2]:.0f} ms"
            f"  p99 {p99:.0f} ms  max {delays[-1]:.0f} ms  (target p99 ≤ 1,000 ms: {'met' if p99 <= 1000 else 'NOT MET'})"
        )
        # Where that time goes: the gateway stamps received_at when it reads the frame off the socket.
        read = {
            phone_of[person]: received.timestamp()
            for person, received in Position.objects.filter(
                person__isnull=False, alarms__contains=Alarm.SOS
            ).values_list("person_id", "received_at")
        }
        alerted = {phone_of[a.person_id]: a.opened_at.timestamp() for a in Alert.objects.filter(kind="sos")}
        before = sorted((read[p] - sent[p]) * 1000 for p in read if p in sent)
        after = sorted((alerted[p] - read[p]) * 1000 for p in read if p in alerted)
        if before and after:
            print(
                f"    of which sent -> read off the socket p50 {before[len(before) // 2]:.0f} ms  p99 {_p99(before):.0f} ms;"
                f" read -> alert committed p50 {after[len(after) // 2]:.0f} ms  p99 {_p99(after):.0f} ms"
            )
    if len(delays) < len(sent):
        raise SystemExit(f"MISSED: {len(sent) - len(delays)} SOS frames produced no alert")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--fixes", type=int, default=1_000_000)
    parser.add_argument(
        "--paced-rate", type=int, default=10_000, help="offered fixes/s in the paced phase (0: skip)"
    )
    parser.add_argument("--paced-seconds", type=int, default=30)
    parser.add_argument(
        "--sos-devices",
        type=int,
        default=200,
        help="devices worn by persons that send one SOS in the paced phase",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and gateway log (path printed)"
    )
    parser.add_argument(
        "--time-first-table",
        action="store_true",
        help="measurement only: the positions table with one unique (fix_time, device_id) index instead of "
        "the device-leading one its readers need (what the table's shape costs)",
    )
    args = parser.parse_args()
    with data_folder("anbang-bench-gw-", args.keep, "database and gateway log") as data:
        run_bench(args, data)


def run_bench(args: argparse.Namespace, data: str) -> None:
    per_device = args.fixes // args.devices
    env = environment(data)
    os.environ.update(env)
    import django

    django.setup()
    from django.utils import timezone

    fleet = provision(args.devices)
    wearers = fleet["jt808"][: args.sos_devices] if args.paced_rate else []
    wear_alarm_devices(wearers)
    db_path = str(Path(data) / "anbang.sqlite3")
    if args.time_first_table:
        make_table_time_first(db_path)
    raw_rate, encoded_rate = insert_ceiling(db_path)
    protocols = ("osmand", "jt808", "gt06", "h02", "watch")
    ports = dict(zip(protocols, free_ports(len(protocols)), strict=True))
    profile = os.environ.get("BENCH_PROFILE")  # a path: run the gateway under cProfile (event-loop thread)
    command = [
        sys.executable,
        *(["-m", "cProfile", "-o", profile] if profile else []),
        "manage.py",
        "rungateway",
        "--bind",
        "127.0.0.1",
        "--max-connections-per-ip",
        "0",  # the whole simulated fleet connects from one loopback address
    ]
    for protocol, port in ports.items():
        command += [f"--{protocol}-port", str(port)]
    log = open(Path(data) / "gateway.log", "w")
    gateway = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    while "gateway ready" not in (Path(data) / "gateway.log").read_text():
        if gateway.poll() is not None:
            raise SystemExit((Path(data) / "gateway.log").read_text())
        time.sleep(0.1)
    start = timezone.now() - dt.timedelta(days=2)
    load = Load(ports, per_device, start)
    load.gateway_pid = gateway.pid
    print(f"{args.devices:,} devices × {per_device} fixes = {args.devices * per_device:,} fixes", flush=True)
    try:
        from backend.monitoring.management.commands.rungateway import run

        elapsed = 0.0

        async def measured() -> None:
            nonlocal elapsed
            elapsed = await drive(load, fleet, args.devices)

        run(measured())  # the simulator uses the same event loop as the gateway, so it costs less CPU
        paced = None
        if args.paced_rate:
            interval = args.devices / args.paced_rate
            per_paced = max(1, int(args.paced_seconds / interval))
            pick = random.Random(5)
            sos = {phone: pick.randrange(1, per_paced) for phone in wearers} if per_paced > 1 else {}
            paced = Load(ports, per_paced, start + dt.timedelta(days=1), interval=interval, sos=sos)
            paced.gateway_pid = gateway.pid
            print(
                f"paced phase: {args.devices:,} devices, one fix every {interval:.2f} s each "
                f"(offered {args.paced_rate:,}/s) for {args.paced_seconds} s",
                flush=True,
            )

            async def measured_paced() -> None:
                paced.elapsed = await drive(paced, fleet, args.devices)

            run(measured_paced())
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=60)
    stored = sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM monitoring_position").fetchone()[0]
    latencies = sorted(load.latencies)

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    print(f"\nresults ({os.cpu_count()} cores; gateway and load generator on the same machine)")
    print(
        f"  raw SQLite insert ceiling (executemany, batches of 2000, WAL, FULL)   {raw_rate:>10,.0f} rows/s"
    )
    print(
        f"  ceiling including the writer's encryption of point and attributes     {encoded_rate:>10,.0f} rows/s"
    )
    print(
        f"  gateway sustained, acknowledged after commit                          {load.acked / elapsed:>10,.0f} fixes/s"
    )
    print(
        f"  fixes acknowledged {load.acked:,} in {elapsed:.1f} s; stored (both phases) {stored:,}; devices failed {load.failed}"
    )
    print(f"  ack latency p50 {pct(0.5):.1f} ms   p99 {pct(0.99):.1f} ms   max {latencies[-1] * 1000:.1f} ms")
    print(
        f"  CPU per fix: gateway {load.cpu[0] / load.acked * 1e6:.0f} µs, load generator "
        f"{load.cpu[1] / load.acked * 1e6:.0f} µs; {(load.cpu[0] + load.cpu[1]) / elapsed:.2f} cores busy"
    )
    print(
        f"  target ≥ 20,000 fixes/s: {'met' if load.acked / elapsed >= 20_000 else 'NOT MET'};"
        f" ack p99 ≤ 250 ms: {'met' if pct(0.99) <= 250 else 'NOT MET'}"
    )
    if paced is not None:
        lat = sorted(paced.latencies)

        def pq(q: float) -> float:
            return lat[min(len(lat) - 1, int(len(lat) * q))] * 1000

        print(
            f"  paced: offered {args.paced_rate:,}/s, acknowledged {paced.acked / paced.elapsed:,.0f}/s "
            f"({paced.acked:,} fixes); ack latency p50 {pq(0.5):.1f} ms  p99 {pq(0.99):.1f} ms  max {lat[-1] * 1000:.1f} ms"
            f"  (target p99 ≤ 250 ms: {'met' if pq(0.99) <= 250 else 'NOT MET'})"
        )
        print(
            f"    paced CPU per fix: gateway {paced.cpu[0] / paced.acked * 1e6:.0f} µs, load generator "
            f"{paced.cpu[1] / paced.acked * 1e6:.0f} µs; {(paced.cpu[0] + paced.cpu[1]) / paced.elapsed:.2f} cores busy"
        )
    if paced is not None and paced.sos_sent:
        report_sos(paced.sos_sent)
    if stored < load.acked + (paced.acked if paced else 0):
        raise SystemExit(f"LOST: acknowledged fixes missing from the database ({stored:,} stored)")


if __name__ == "__main__":
    main()
