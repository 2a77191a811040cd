"""The batch writer on its own: one transaction per batch, duplicates ignored, hooks after commit."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import threading
import time

import pytest
from django.utils import timezone

from backend.monitoring.ingest import hooks
from backend.monitoring.ingest.writer import BatchWriter
from backend.monitoring.models import Position
from gps_gateway.protocols.common import Fix
from gps_gateway.rows import FixRow
from gps_gateway.stats import GatewayCounters

pytestmark = pytest.mark.django_db(transaction=True)


def rows(device, start: dt.datetime, count: int) -> list[FixRow]:
    return [
        FixRow(device.pk, None, Fix(fix_time=start + dt.timedelta(seconds=i), latitude=30.0, longitude=120.0, valid=True),
               timezone.now(), late=False)
        for i in range(count)
    ]  # fmt: skip


@pytest.fixture
def writer():
    counters = GatewayCounters()
    writer = BatchWriter(counters, max_batch=500, max_delay=0.05)
    writer.start()
    yield writer
    writer.stop()


def test_many_submissions_are_committed_together_and_each_future_resolves(device, writer):
    start = timezone.now().replace(microsecond=0)
    futures = [writer.submit(rows(device, start + dt.timedelta(minutes=n), 10)) for n in range(20)]
    assert [f.result(timeout=10) for f in futures] == [10] * 20
    assert Position.objects.count() == 200
    assert writer.counters.batches < 20  # batched, not one transaction per submission
    assert writer.counters.stored == 200


def test_a_duplicate_fix_is_ignored_and_counted(device, writer):
    start = timezone.now().replace(microsecond=0)
    writer.submit(rows(device, start, 5)).result(timeout=10)
    writer.submit(rows(device, start, 5)).result(timeout=10)
    assert Position.objects.count() == 5
    assert writer.counters.duplicates == 5


def test_hooks_see_each_batch_once_after_it_is_committed(device, writer):
    seen, called = [], threading.Event()

    def hook(batch):
        # Committed already: the rows are visible from another connection's point of view.
        seen.append((len(batch), Position.objects.count()))
        called.set()

    hooks.register(hook)
    try:
        writer.submit(rows(device, timezone.now().replace(microsecond=0), 7)).result(timeout=10)
        # Acks go out before hooks run (zone evaluation never delays an ack), so wait for the hook.
        assert called.wait(10)
    finally:
        hooks.unregister(hook)
    assert seen == [(7, 7)]


def test_a_failing_hook_is_counted_and_does_not_stop_the_writer(device, writer):
    def broken(batch):
        raise RuntimeError("zone evaluation bug")

    hooks.register(broken)
    try:
        writer.submit(rows(device, timezone.now().replace(microsecond=0), 3)).result(timeout=10)
        writer.submit(rows(device, timezone.now().replace(microsecond=0) + dt.timedelta(hours=1), 3)).result(
            timeout=10
        )
        writer.stop()  # hooks of the last batch have run once the writer has stopped (they follow the ack)
    finally:
        hooks.unregister(broken)
    assert Position.objects.count() == 6 and writer.counters.hook_errors == 2


def test_a_batch_that_cannot_commit_fails_every_future_in_it_and_stores_nothing(device, writer):
    start = timezone.now().replace(microsecond=0)
    good = rows(device, start, 3)
    bad = rows(device, start + dt.timedelta(hours=1), 1)
    bad[0].device_id = 999_999  # no such device: the foreign key refuses the whole transaction
    futures = [writer.submit(good), writer.submit(bad)]
    errors = []
    for future in futures:
        try:
            future.result(timeout=10)
        except Exception as exc:
            errors.append(exc)
    assert len(errors) == 2 and Position.objects.count() == 0 and writer.counters.write_errors == 1
    # …and the writer carries on with the next batch.
    assert writer.submit(rows(device, start + dt.timedelta(hours=2), 2)).result(timeout=10) == 2


def test_stopping_writes_what_was_queued(device):
    writer = BatchWriter(GatewayCounters(), max_batch=10, max_delay=0.01)
    futures = [
        writer.submit(rows(device, timezone.now().replace(microsecond=0) + dt.timedelta(hours=n), 10))
        for n in range(5)
    ]
    writer.start()
    writer.stop()
    assert all(isinstance(f, concurrent.futures.Future) and f.result(timeout=1) == 10 for f in futures)
    assert Position.objects.count() == 50


def test_each_batch_reports_its_rows_and_where_its_time_went(device, writer):
    def slow(batch):
        time.sleep(0.2)  # a zone evaluation that takes its time

    hooks.register(slow)
    try:
        writer.submit(rows(device, timezone.now().replace(microsecond=0), 7)).result(timeout=10)
        writer.stop()  # the phases are recorded once the batch's hooks have run
    finally:
        hooks.unregister(slow)
    means = writer.counters.phase_means()
    assert means["rows"] == 7 and means["hooks_ms"] >= 200
    assert means["encode_ms"] > 0 and means["insert_ms"] > 0 and means["commit_ms"] > 0
    steps = means["encode_ms"] + means["lock_wait_ms"] + means["insert_ms"] + means["commit_ms"]
    assert steps <= writer.counters.batch_ms[0] + 0.01  # the batch's latency is those steps, up to commit
    snapshot = writer.counters.snapshot()
    assert snapshot["batch_phases_mean"] == means
    assert "batch_rows=7" in writer.counters.log_line(0) and "hooks=2" in writer.counters.log_line(0)


def test_no_phases_or_batch_latency_are_reported_before_the_first_batch():
    counters = GatewayCounters()
    assert counters.phase_means() is None and counters.snapshot()["batch_phases_mean"] is None
    assert "lock_wait" not in counters.log_line(0) and "batch_p99=- " in counters.log_line(0) + " "
