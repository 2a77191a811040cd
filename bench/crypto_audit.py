"""Costs of the Foundation primitives that later hot paths pay: field encryption, blind indexes, audit appends.

Run: .venv/bin/python bench/crypto_audit.py [--values 100000] [--events 5000]
Uses a fresh SQLite database (WAL, synchronous=FULL) in a temporary folder, with fresh random keys.
With DATABASE_URL=postgres://… it runs against that database instead (it must be empty and migratable).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    data = tempfile.mkdtemp(prefix="anbang-bench-")
    for name in ("MASTER_KEY", "BLIND_INDEX_KEY", "AUDIT_KEY"):
        os.environ[f"ANBANG_{name}"] = base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["ANBANG_SECRET_KEY"] = secrets.token_urlsafe(48)
    os.environ["ANBANG_DATA_DIR"] = data
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f}/s  {seconds / n * 1e6:>8.1f} µs each"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    args = parser.parse_args()
    setup_django()

    from django.db import connection, transaction

    from backend.core.audit import record_audit, verify_chain
    from backend.core.audit_actions import AuditAction
    from backend.core.crypto.blind_index import blind_index
    from backend.core.crypto.keyring import get_keyring

    keyring = get_keyring()
    aad = b"people_person.name"
    plaintext = "测试姓名某某某".encode()
    print(f"database: {connection.vendor}  python {sys.version.split()[0]}  cores {os.cpu_count()}")

    started = time.perf_counter()
    tokens = [keyring.encrypt(plaintext, aad) for _ in range(args.values)]
    print(f"encrypt (AES-256-GCM, 21-byte value)   {rate(args.values, time.perf_counter() - started)}")
    started = time.perf_counter()
    for token in tokens:
        keyring.decrypt(token, aad)
    print(f"decrypt                                {rate(args.values, time.perf_counter() - started)}")
    started = time.perf_counter()
    for i in range(args.values):
        blind_index("id_number", f"99010119900101{i:04d}")
    print(f"blind index (HMAC-SHA256, normalised)  {rate(args.values, time.perf_counter() - started)}")

    latencies = []
    started = time.perf_counter()
    for i in range(args.events):
        t0 = time.perf_counter()
        record_audit(actor=None, action=AuditAction.DB_BACKUP, target=("bench.thing", i), details={"i": i})
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(
        f"audit append, own transaction each     {rate(args.events, elapsed)}"
        f"  (median {statistics.median(latencies) * 1000:.2f} ms, p99 {p99:.2f} ms)"
    )
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(args.events):
            record_audit(
                actor=None, action=AuditAction.DB_BACKUP, target=("bench.thing", i), details={"i": i}
            )
    print(
        f"audit append, {args.events} in one transaction {rate(args.events, time.perf_counter() - started)}"
    )
    started = time.perf_counter()
    report = verify_chain()
    assert report.ok and report.checked == 2 * args.events
    print(f"verify_audit                           {rate(report.checked, time.perf_counter() - started)}")


if __name__ == "__main__":
    main()
