"""The writer's SQLite tuning: one gateway writer at a time across worker processes (an flock that wakes
the waiter at once), statement journals in memory, and a queue bound that costs no lock per fix."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from backend.monitoring.ingest import hooks
from backend.monitoring.ingest.lock import WriteLock
from backend.monitoring.ingest.writer import BatchWriter
from backend.monitoring.models import Position
from gps_gateway.stats import GatewayCounters
from tests.gateway.test_writer import rows

pytestmark = pytest.mark.django_db(transaction=True)

HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
"""


@contextlib.contextmanager
def another_worker_holding_the_lock():
    """Another process holds the gateway's write lock until the yielded ``release()`` is called."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, WriteLock.for_connection().path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip

    def release() -> None:
        holder.stdin.write("\n")
        holder.stdin.flush()

    try:
        assert holder.stdout.readline().strip() == "held"
        yield release
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture
def writer():
    writer = BatchWriter(GatewayCounters(), max_batch=500, max_delay=0.01)
    writer.start()
    yield writer
    writer.stop()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_a_batch_waits_while_another_process_holds_the_write_lock_and_commits_once_it_is_released(
    device, writer
):
    with another_worker_holding_the_lock() as release:
        future = writer.submit(rows(device, timezone.now().replace(microsecond=0), 3))
        with pytest.raises(TimeoutError):
            future.result(timeout=1)  # the other "worker" is committing: nothing acknowledged yet
        assert Position.objects.count() == 0
        release()
        assert future.result(timeout=10) == 3
    assert Position.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_fixes_queued_while_the_other_worker_commits_join_the_transaction_that_was_waiting(device, writer):
    start = timezone.now().replace(microsecond=0)
    with another_worker_holding_the_lock() as release:
        first = writer.submit(rows(device, start, 2))
        time.sleep(0.5)  # the writer has taken the first batch and waits for the lock
        later = [writer.submit(rows(device, start + dt.timedelta(minutes=n), 2)) for n in range(1, 4)]
        time.sleep(0.2)
        release()
        assert [f.result(timeout=10) for f in (first, *later)] == [2, 2, 2, 2]
    assert writer.counters.batches == 1 and Position.objects.count() == 8


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_the_hooks_run_while_the_writer_still_holds_the_write_lock(device, writer):
    """A hook's own writes (an SOS's alert) must not queue on SQLite's sleeping busy handler behind the
    other worker's batches: the writer keeps the lock from its commit through the hooks."""
    import fcntl
    import os

    other = os.open(WriteLock.for_connection().path, os.O_RDWR | os.O_CREAT, 0o600)
    held, called = [], threading.Event()

    def hook(batch):
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what the other worker would try
        except BlockingIOError:
            held.append(True)
        else:
            fcntl.flock(other, fcntl.LOCK_UN)
            held.append(False)
        called.set()

    hooks.register(hook)
    try:
        writer.submit(rows(device, timezone.now().replace(microsecond=0), 2)).result(timeout=10)
        assert called.wait(10)
    finally:
        hooks.unregister(hook)
        os.close(other)
    assert held == [True]


def test_postgresql_needs_no_write_lock():
    assert (WriteLock.for_connection() is None) == (connection.vendor != "sqlite")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="a SQLite pragma")
def test_the_writer_keeps_sqlite_statement_journals_in_memory(device, writer):
    seen, called = [], threading.Event()

    def hook(batch):  # hooks run in the writer thread, on the writer's own connection
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA temp_store")
            seen.append(cursor.fetchone()[0])
        called.set()

    hooks.register(hook)
    try:
        writer.submit(rows(device, timezone.now().replace(microsecond=0), 2)).result(timeout=10)
        assert called.wait(10)
    finally:
        hooks.unregister(hook)
    assert seen == [2]  # 2 = MEMORY


def test_a_full_queue_refuses_the_next_fix_until_the_writer_has_taken_what_was_queued(device):
    writer = BatchWriter(GatewayCounters(), max_batch=10, max_delay=0.01, queue_size=2)
    start = timezone.now().replace(microsecond=0)

    async def scenario() -> list[int]:
        loop = asyncio.get_running_loop()
        first = writer.enqueue(rows(device, start, 1), loop)
        second = writer.enqueue(rows(device, start + dt.timedelta(minutes=1), 1), loop)
        assert first is not None and second is not None
        assert writer.enqueue(rows(device, start + dt.timedelta(minutes=2), 1), loop) is None  # full
        writer.start()
        committed = [await first, await second]
        # Room again: the connection that was refused waits on write() and gets its commit.
        committed.append(await writer.write(rows(device, start + dt.timedelta(minutes=2), 1)))
        return committed

    try:
        assert asyncio.run(scenario()) == [1, 1, 1]
    finally:
        writer.stop()
    assert Position.objects.count() == 3


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_an_announced_alarm_is_seen_by_other_writers_only_and_asking_takes_nothing():
    path = WriteLock.for_connection().path
    mine, theirs, third = WriteLock(path), WriteLock(path), WriteLock(path)
    try:
        assert not mine.alarm_waiting() and not theirs.alarm_waiting()
        theirs.announce()
        assert mine.alarm_waiting() and third.alarm_waiting()  # both ask at once: neither hides the other
        assert not theirs.alarm_waiting()  # its own announcement is not another worker's alarm
        theirs.withdraw()
        assert not mine.alarm_waiting() and not third.alarm_waiting()
    finally:
        for lock in (mine, theirs, third):
            lock.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_the_time_a_batch_waits_for_another_workers_commit_is_reported_as_its_lock_wait(device, writer):
    with another_worker_holding_the_lock() as release:
        future = writer.submit(rows(device, timezone.now().replace(microsecond=0), 3))
        time.sleep(0.4)  # the other "worker" commits meanwhile
        release()
        assert future.result(timeout=10) == 3
        writer.stop()
    means = writer.counters.phase_means()
    assert means["rows"] == 3 and means["lock_wait_ms"] >= 350
    assert means["insert_ms"] + means["commit_ms"] < means["lock_wait_ms"]
