"""Alarms first: a fix carrying an alarm (SOS, strap cut) is committed ahead of routine fixes queued before it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import os
import time

import pytest
from django.db import connection
from django.utils import timezone

from backend.monitoring.ingest import hooks
from backend.monitoring.ingest.lock import WriteLock
from backend.monitoring.ingest.writer import BatchWriter
from backend.monitoring.models import Position
from gps_gateway.protocols.common import Alarm
from gps_gateway.stats import GatewayCounters
from tests.gateway.test_writer import rows

pytestmark = pytest.mark.django_db(transaction=True)


def sos(device, at: dt.datetime):
    (row,) = rows(device, at, 1)
    row.fix.alarms = {Alarm.SOS}
    return [row]


def test_a_fix_carrying_an_alarm_is_committed_ahead_of_the_routine_fixes_queued_before_it(device):
    writer, batches = BatchWriter(GatewayCounters(), max_batch=10, max_delay=0.01), []
    start = timezone.now().replace(microsecond=0)
    hooks.register(batches.append)
    try:
        routine = [writer.submit(rows(device, start + dt.timedelta(hours=n), 10)) for n in range(5)]
        alarm = writer.submit(sos(device, start + dt.timedelta(hours=9)))
        writer.start()
        writer.stop()
    finally:
        hooks.unregister(batches.append)
    assert [bool(row.fix.alarms) for row in batches[0]] == [True]  # alone, in the first commit
    assert [f.result(timeout=1) for f in routine] == [10] * 5 and alarm.result(timeout=1) == 1
    assert sum(len(batch) for batch in batches) == Position.objects.count() == 51


def test_an_alarm_is_taken_even_when_the_queue_is_full(device):
    writer = BatchWriter(GatewayCounters(), max_batch=10, max_delay=0.01, queue_size=2)
    loop = asyncio.new_event_loop()
    try:
        start = timezone.now().replace(microsecond=0)
        assert writer.enqueue(rows(device, start, 1), loop) is not None
        assert writer.enqueue(rows(device, start + dt.timedelta(minutes=1), 1), loop) is not None
        assert writer.enqueue(rows(device, start + dt.timedelta(minutes=2), 1), loop) is None  # full
        assert writer.enqueue(sos(device, start + dt.timedelta(minutes=3)), loop) is not None
        writer.start()
        writer.stop()
    finally:
        loop.close()
    assert Position.objects.count() == 3


def wait_until_a_writer_holds_the_lock(timeout: float = 20) -> None:
    fd = os.open(WriteLock.for_connection().path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            fcntl.flock(fd, fcntl.LOCK_UN)
            time.sleep(0.0005)
        raise AssertionError("no writer took the lock")
    finally:
        os.close(fd)


# Eighty 400-row statements: long enough, even on a fast machine, for an alarm submitted ~50 ms after the
# batch took the lock to arrive in the middle of it (8,000 rows were done before it on one machine).
ROUTINE = 32_000


@contextlib.contextmanager
def running(*writers: BatchWriter):
    for writer in writers:
        writer.start()
    try:
        yield
    finally:
        for writer in writers:
            writer.stop()


@pytest.fixture
def stored_when_hooked():
    """For each batch the hooks see: (carries an alarm, positions stored at that moment)."""
    seen = []

    def hook(batch):
        seen.append((any(row.fix.alarms for row in batch), Position.objects.count()))

    hooks.register(hook)
    yield seen
    hooks.unregister(hook)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="watches the SQLite write lock")
def test_an_alarm_that_arrives_in_the_middle_of_a_long_batch_is_committed_before_the_rest_of_it(
    device, stored_when_hooked
):
    writer = BatchWriter(GatewayCounters(), max_batch=ROUTINE, max_delay=0.01)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    with running(writer):
        routine = writer.submit(rows(device, start, ROUTINE))
        wait_until_a_writer_holds_the_lock()
        alarm = writer.submit(sos(device, start + dt.timedelta(hours=23)))
        assert alarm.result(timeout=30) == 1 and routine.result(timeout=60) == ROUTINE
    (alarm_first, stored_then), (routine_after, _) = stored_when_hooked
    assert alarm_first and not routine_after
    assert stored_then < ROUTINE + 1  # the routine batch was not finished when the alarm went in
    assert Position.objects.count() == ROUTINE + 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_another_workers_alarm_waiting_for_the_lock_goes_in_before_the_rest_of_a_long_batch(
    device, stored_when_hooked
):
    # Two writers with their own lock descriptors exclude each other as two worker processes do.
    busy = BatchWriter(GatewayCounters(), max_batch=ROUTINE, max_delay=0.01)
    other = BatchWriter(GatewayCounters(), max_batch=10, max_delay=0.01)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    with running(busy, other):
        routine = busy.submit(rows(device, start, ROUTINE))
        wait_until_a_writer_holds_the_lock()
        alarm = other.submit(sos(device, start + dt.timedelta(hours=23)))
        assert alarm.result(timeout=30) == 1 and routine.result(timeout=60) == ROUTINE
    alarm_seen = [stored for carries_alarm, stored in stored_when_hooked if carries_alarm]
    assert alarm_seen and alarm_seen[0] < ROUTINE + 1
    assert Position.objects.count() == ROUTINE + 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the write lock is for SQLite files only")
def test_an_alarm_reaching_a_writer_that_waits_for_the_lock_with_routine_fixes_still_goes_in_early(
    device, stored_when_hooked
):
    busy = BatchWriter(GatewayCounters(), max_batch=ROUTINE, max_delay=0.01)
    waiting = BatchWriter(GatewayCounters(), max_batch=10, max_delay=0.01)
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    with running(busy, waiting):
        routine = busy.submit(rows(device, start, ROUTINE))
        wait_until_a_writer_holds_the_lock()
        queued = waiting.submit(rows(device, start + dt.timedelta(hours=22), 10))
        time.sleep(0.05)  # its writer is now blocked on the lock with those ten
        alarm = waiting.submit(sos(device, start + dt.timedelta(hours=23)))
        assert alarm.result(timeout=30) == 1 and queued.result(timeout=30) == 10
        assert routine.result(timeout=60) == ROUTINE
    alarm_seen = [stored for carries_alarm, stored in stored_when_hooked if carries_alarm]
    assert alarm_seen and alarm_seen[0] < ROUTINE + 11  # the long batch was not finished
    assert Position.objects.count() == ROUTINE + 11
