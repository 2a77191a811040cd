"""Alarms first: a fix carrying an alarm (SOS, strap cut) is committed ahead of routine fixes queued before it."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from django.utils import timezone

from backend.monitoring.models import Position
from gps_gateway import hooks
from gps_gateway.protocols.common import Alarm
from gps_gateway.stats import GatewayCounters
from gps_gateway.writer import BatchWriter
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
