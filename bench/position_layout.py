"""What the positions table's shape costs SQLite alone, as the gateway's writer fills it, and as it grows.

The gateway's writer holds the database's one write lock while its INSERT statements and COMMIT run;
docs/benchmarks.md ("2026-12-02, third session") shows that time to be the limit of the whole gateway.
This bench takes the product's own table (``manage.py migrate`` in a fresh folder, its CREATE statements
read back from sqlite_master) and fills copies of it the way the writer does — 10,000 devices each
reporting once a round, in a different order each round (as fixes reach the gateway; in device order
neighbouring devices shared index pages, which flattered the product's table), batches of 2,000 rows in
400-row ``INSERT … ON CONFLICT (device_id, fix_time) DO NOTHING`` statements, WAL, synchronous=FULL, the
writer's pragmas — with the parameter tuples of real encrypted rows (the product's Encoder), only
device, person and times varied.  Layouts:

- ``product``: as migrated — the unique (device_id, fix_time), the table's only index since migration
  0010; no person on the fixes, as in bench/gateway.py;
- ``product, worn``: the same table, every device worn by a person, as tags are in service (the person
  is a column, not an index: a person's fixes are found through their devices);
- ``before 0010, worn``: the table as it was, with the (person_id, fix_time) index back, every device
  worn — what the second index cost;
- ``time-first``: one unique (fix_time, device_id) index — what inserting costs when every index grows
  at its end; no reader could find one device's or one person's fixes in it quickly.

Run: .venv/bin/python bench/position_layout.py [--rows 1200000] [--devices 10000] [--layouts …]
Prints, per layout, rows/s for each fifth of the rows (the table growing) and the median and p99 of a
batch's INSERT statements and its COMMIT.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment  # noqa: E402

BATCH, PER_STATEMENT = 2000, 400


def product_schema(data: str) -> tuple[list[str], list[tuple]]:
    """The migrated CREATE statements of monitoring_position and its indexes, and a pool of encoded rows."""
    os.environ.update(environment(data))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from backend.monitoring.ingest.encoder import Encoder
    from gps_gateway.protocols.common import Fix
    from gps_gateway.rows import FixRow

    call_command("migrate", verbosity=0)
    db = sqlite3.connect(Path(data) / "anbang.sqlite3")
    schema = [
        sql
        for (sql,) in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'monitoring_position' AND sql IS NOT NULL "
            "ORDER BY type DESC"  # the table first, then its indexes
        )
    ]
    db.close()
    now = timezone.now()
    encoder = Encoder()
    pool = [
        encoder.encode(
            FixRow(1, None, Fix(fix_time=now, latitude=30.0 + i * 1e-5, longitude=120.0 + i * 1e-5, valid=True,
                                speed_kmh=4.0, course=90.0, satellites=9, battery_pct=80,
                                attributes={"status": 3, "mileage": 1234.5, "rssi": 20}), now, late=False)
        )
        for i in range(1000)
    ]  # fmt: skip
    return schema, pool


def layout(schema: list[str], name: str) -> list[str]:
    if name == "before 0010, worn":
        return [*schema, PERSON_INDEX]
    if name != "time-first":
        return schema
    table = schema[0].replace('UNIQUE ("device_id", "fix_time")', 'UNIQUE ("fix_time", "device_id")')
    if table == schema[0]:
        raise SystemExit(
            "monitoring_position no longer has the unique (device_id, fix_time) this bench swaps"
        )
    return [table, *schema[1:]]


PERSON_INDEX = 'CREATE INDEX "position_by_person" ON "monitoring_position" ("person_id", "fix_time")'
LAYOUTS = {"product": False, "product, worn": True, "before 0010, worn": True, "time-first": False}


def fill(path: str, statements: list[str], pool: list[tuple], rows: int, devices: int, worn: bool) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA cache_size=-65536")
    db.execute("PRAGMA temp_store=MEMORY")
    for sql in statements:
        db.execute(sql)
    columns = ("device_id", "person_id", "fix_time", "received_at")  # the first four of gateway COLUMNS
    from backend.monitoring.ingest.encoder import COLUMNS

    assert COLUMNS[:4] == columns
    one = "(" + ", ".join(["?"] * len(COLUMNS)) + ")"
    insert = (
        f"INSERT INTO monitoring_position ({', '.join(COLUMNS)}) VALUES "
        + ", ".join([one] * PER_STATEMENT)
        + " ON CONFLICT (device_id, fix_time) DO NOTHING"
    )
    start = dt.datetime(2026, 11, 1)
    orders = [random.Random(seed).sample(range(1, devices + 1), devices) for seed in range(7)]
    inserts, commits, marks = [], [], []
    began = time.perf_counter()
    for first in range(0, rows, BATCH):
        batch = []
        for n in range(first, first + BATCH):
            round_ = n // devices
            device = orders[round_ % len(orders)][n % devices]
            when = (start + dt.timedelta(seconds=round_ * 30)).isoformat(" ")
            batch.append((device, device if worn else None, when, when, *pool[n % len(pool)][4:]))
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        for part in range(0, BATCH, PER_STATEMENT):
            db.execute(insert, [value for row in batch[part : part + PER_STATEMENT] for value in row])
        t1 = time.perf_counter()
        db.execute("COMMIT")
        t2 = time.perf_counter()
        inserts.append(t1 - t0)
        commits.append(t2 - t1)
        if (first + BATCH) % (rows // 5) == 0:
            marks.append(time.perf_counter())
    stored = db.execute("SELECT COUNT(*) FROM monitoring_position").fetchone()[0]
    db.close()
    if stored != rows:
        raise SystemExit(f"stored {stored:,} of {rows:,} rows")
    fifths, last = [], began
    for mark in marks:
        fifths.append(f"{rows / 5 / (mark - last):>9,.0f}")
        last = mark
    print(f"  rows/s by fifth of the table  {' '.join(fifths)}   overall {rows / (last - began):,.0f}")
    print(
        f"  per batch of {BATCH:,}: INSERT p50 {_ms(inserts, 0.5)} p99 {_ms(inserts, 0.99)} ms;"
        f" COMMIT p50 {_ms(commits, 0.5)} p99 {_ms(commits, 0.99)} ms;"
        f" mean INSERT + COMMIT {statistics.fmean(inserts) * 1000 + statistics.fmean(commits) * 1000:.1f} ms",
        flush=True,
    )


def _ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--layouts", nargs="+", choices=list(LAYOUTS), default=list(LAYOUTS), metavar="LAYOUT",
                        help=f"which of {', '.join(LAYOUTS)} (default: all)")  # fmt: skip
    args = parser.parse_args()
    if args.rows % (5 * BATCH):
        raise SystemExit(f"--rows must be a multiple of {5 * BATCH:,}")
    with tempfile.TemporaryDirectory(prefix="anbang-bench-layout-") as data:
        schema, pool = product_schema(data)
        print(
            f"{args.rows:,} rows from {args.devices:,} devices into copies of the product's monitoring_position"
        )
        for name in args.layouts:
            worn = LAYOUTS[name]
            print(f"{name}:", flush=True)
            path = str(Path(data) / f"layout-{list(LAYOUTS).index(name)}.sqlite3")
            fill(path, layout(schema, name), pool, args.rows, args.devices, worn)


if __name__ == "__main__":
    main()
