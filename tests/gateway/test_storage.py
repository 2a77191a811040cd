"""The gateway's ground floor: it imports nothing of the backend, and is handed a storage that gives it
what its ports ask for — a device source, a fix sink, and one writer of the database per worker."""

from __future__ import annotations

import ast
import datetime as dt
import errno
import fcntl
import os
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from backend.monitoring.ingest.lock import WriteLock
from backend.monitoring.ingest.storage import DjangoStorage
from backend.monitoring.ingest.writer import BatchWriter
from gps_gateway.ports import DeviceSource, FixSink, Storage
from gps_gateway.stats import GatewayCounters
from tests.gateway.test_writer import rows

GATEWAY = Path(__file__).resolve().parents[2] / "gps_gateway"
ABOVE_THE_GROUND_FLOOR = ("backend", "notifications", "django")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, wherever the import stands (in functions, under TYPE_CHECKING)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_gateway_imports_nothing_from_the_backend_the_notifications_or_django():
    reaching_up = {
        f"{path.relative_to(GATEWAY.parent)}: {name}"
        for path in GATEWAY.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in ABOVE_THE_GROUND_FLOOR
    }
    assert reaching_up == set()


def test_the_django_storage_gives_the_gateway_what_its_ports_ask_for():
    storage = DjangoStorage(GatewayCounters())
    assert isinstance(storage, Storage)
    assert isinstance(storage.devices, DeviceSource)
    assert isinstance(storage.fixes, FixSink)


def lock_is_held_elsewhere() -> bool:
    """Is the gateway's write lock held (by another open file description than this probe's)?"""
    probe = os.open(WriteLock.for_connection().path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        assert exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
        return True
    else:
        fcntl.flock(probe, fcntl.LOCK_UN)
        return False
    finally:
        os.close(probe)


@pytest.mark.django_db(transaction=True)
def test_a_job_on_the_writer_runs_on_its_thread_holding_the_write_lock_between_batches(device):
    writer = BatchWriter(GatewayCounters(), max_batch=500, max_delay=0.05)
    writer.start()
    sqlite = connection.vendor == "sqlite"
    try:
        start = timezone.now().replace(microsecond=0)
        batch = writer.submit(rows(device, start, 20))
        seen = writer.call(
            lambda: (threading.current_thread().name, sqlite and lock_is_held_elsewhere())
        ).result(timeout=10)
        assert batch.result(timeout=10) == 20
    finally:
        writer.stop()
    assert seen == ("gateway-writer", sqlite)


@pytest.mark.django_db(transaction=True)
def test_a_job_asked_of_a_stopped_writer_fails_at_once_instead_of_waiting_forever():
    writer = BatchWriter(GatewayCounters())
    writer.start()
    writer.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        writer.call(lambda: None).result(timeout=1)


@pytest.mark.django_db(transaction=True)
def test_the_devices_status_is_written_by_the_writers_thread_and_once_more_at_close(device):
    storage = DjangoStorage(GatewayCounters())
    storage.load()
    storage.start()
    flushed_on = []
    flush = storage.devices.flush_status

    def flush_and_note() -> int:
        flushed_on.append(threading.current_thread().name)
        return flush()

    storage.devices.flush_status = flush_and_note
    seen = storage.devices.get(device.protocol, device.identifier)
    when = timezone.now().replace(microsecond=0)
    try:
        seen.last_seen, seen.newest_fix, seen.battery_pct, seen.dirty = when, when, 77, True
        storage.upkeep()
        device.refresh_from_db()
        assert (device.last_seen_at, device.last_fix_at, device.battery_pct) == (when, when, 77)
        later = when + dt.timedelta(seconds=5)
        seen.last_seen, seen.battery_pct, seen.dirty = later, 60, True
    finally:
        storage.close()
    device.refresh_from_db()
    assert (device.last_seen_at, device.battery_pct) == (later, 60)
    assert flushed_on == ["gateway-writer", "gateway-writer"]
