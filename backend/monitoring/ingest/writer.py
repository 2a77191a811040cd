"""The durable batched writer: fixes from every connection, committed together, acknowledged after.

Connections hand over their fixes and wait; a writer thread takes what is queued (up to ``max_batch``
rows, or whatever arrived within ``max_delay``), inserts it in one transaction with
``ON CONFLICT (device, fix_time) DO NOTHING``, commits, and only then resolves each connection's future —
which is when the connection sends its 0x8001, GT06 reply or HTTP 200.  If the commit fails, every
future in the batch fails and no acknowledgement goes out: the device keeps the fix and sends it again.
Other writes of the gateway (the devices' status) are jobs on the same thread (``call``), under the same
lock, between batches.  This is the gateway's fix sink (``gps_gateway.ports.FixSink``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import close_old_connections, connection, transaction

from backend.monitoring.ingest import hooks
from backend.monitoring.ingest.encoder import COLUMNS, Encoder
from backend.monitoring.ingest.lock import WriteLock
from backend.monitoring.models import Position
from gps_gateway.rows import FixRow, is_urgent
from gps_gateway.stats import BatchPhases, GatewayCounters

logger = logging.getLogger("anbang.gateway")

ROWS_PER_STATEMENT = 400


@dataclass(slots=True)
class _Job:
    """Rows from one connection, and how to tell it the outcome: a concurrent future (threads, tests),
    or an asyncio future of ``loop``, resolved together with the rest of the batch."""

    rows: list[FixRow]
    future: concurrent.futures.Future | asyncio.Future
    loop: asyncio.AbstractEventLoop | None = None


@dataclass(slots=True)
class _Call:
    """Other work for the writer's thread and lock (``BatchWriter.call``)."""

    work: Callable[[], Any]
    future: concurrent.futures.Future


class BatchWriter:
    def __init__(
        self,
        counters: GatewayCounters,
        *,
        max_batch: int = 2000,
        max_delay: float = 0.005,
        queue_size: int = 100_000,
    ) -> None:
        self.counters = counters
        self.max_batch = max_batch
        self.max_delay = max_delay
        # SimpleQueue is C code and never blocks on put; the bound is its qsize(), also C (a semaphore
        # taken per fix and given back by the writer cost two Python-level lock round trips per fix).
        self._queue: queue.SimpleQueue[_Job | object | None] = queue.SimpleQueue()
        # Alarms first (SOS, strap cut: "find a person who cut a tag at 2 a.m."): a job carrying one goes
        # here and is committed on its own before the next routine batch, so under load it does not wait
        # behind the whole queue; _WAKE in the routine queue wakes an idle writer for it.  The price, only
        # when the queue is long: fixes of the same device queued before the alarm are judged against the
        # zones after it, so zone evaluation takes them as late (late alerts, live state untouched).
        self._urgent: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        # Jobs that are not fixes (``call``): run between batches, before the next routine one.
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._calls_mutex = threading.Lock()
        self._finished = False  # the thread has left its loop: a call now would never run
        self.queue_size = queue_size
        self._thread = threading.Thread(target=self._run, name="gateway-writer", daemon=True)
        self._table = connection.ops.quote_name(Position._meta.db_table)
        columns, marks = ", ".join(COLUMNS), ", ".join(["%s"] * len(COLUMNS))
        self._sql = (
            f"INSERT INTO {self._table} ({columns}) VALUES ({marks}) "  # noqa: S608 (names from the model)
            "ON CONFLICT (device_id, fix_time) DO NOTHING"
        )
        self._statements: dict[int, str] = {}
        self._lock = WriteLock.for_connection()
        # Alarms queued or being written: announced to the other workers while > 0 (see WriteLock).
        self._alarms_pending = 0
        self._alarms_mutex = threading.Lock()
        self._tuned: object = None  # the DB-API connection the SQLite pragmas were applied to

    def start(self) -> None:
        if self._lock is not None:
            self._lock.open()
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Write what is queued, then end the thread (SIGTERM: nothing accepted is left behind)."""
        self._queue.put(None)
        self._thread.join(timeout)

    def call(self, work: Callable[[], Any]) -> concurrent.futures.Future:
        """Run ``work`` on the writer's thread, holding the write lock, between two batches: the gateway's
        other writes (the devices' status) queue with its batches instead of meeting them on SQLite's
        busy handler, which sleeps up to 100 ms between looks.  Calls made before ``stop`` still run."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._calls_mutex:
            if self._finished:
                future.set_exception(RuntimeError("gateway writer stopped"))
                return future
            self._calls.put(_Call(work, future))
        self._queue.put(_WAKE)
        return future

    def submit(self, rows: list[FixRow]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        urgent = is_urgent(rows)
        while self._full(urgent):  # full: back-pressure on the caller
            time.sleep(0.001)
        self._put(_Job(rows, future), urgent)
        return future

    def enqueue(self, rows: list[FixRow], loop: asyncio.AbstractEventLoop) -> asyncio.Future | None:
        """Queue ``rows`` without waiting; a future of ``loop`` resolves after commit.  None when full."""
        urgent = is_urgent(rows)
        if self._full(urgent):
            return None
        future = loop.create_future()
        self._put(_Job(rows, future, loop), urgent)
        return future

    async def write(self, rows: list[FixRow]) -> int:
        """Await until ``rows`` are committed (raises if the commit failed).  Returns rows inserted."""
        if not rows:
            return 0
        loop = asyncio.get_running_loop()
        job = _Job(rows, loop.create_future(), loop)
        urgent = is_urgent(rows)
        while self._full(urgent):
            await asyncio.sleep(0.002)  # queue full: this connection waits, others go on
        self._put(job, urgent)
        return await job.future

    def _full(self, urgent: bool) -> bool:
        """Each lane has its own bound: a queue full of routine fixes does not hold an alarm back."""
        return (self._urgent if urgent else self._queue).qsize() >= self.queue_size

    def _put(self, job: _Job, urgent: bool) -> None:
        if urgent:
            with self._alarms_mutex:
                self._urgent.put(job)
                self._alarms_pending += 1
                if self._alarms_pending == 1 and self._lock is not None:
                    self._lock.announce()
            self._queue.put(_WAKE)
        else:
            self._queue.put(job)

    def _alarms_written(self, count: int) -> None:
        with self._alarms_mutex:
            self._alarms_pending -= count
            if self._alarms_pending == 0 and self._lock is not None:
                self._lock.withdraw()

    def _run_calls(self, calls: list[_Call]) -> None:
        """Run calls on this thread (the caller holds the lock); a failing one fails its future only (the
        caller hears of it), never the writer."""
        for item in calls:
            try:
                result = item.work()
            except Exception as exc:
                connection.close()  # as after a failed batch: a broken connection must not poison the next
                item.future.set_exception(exc)
            else:
                item.future.set_result(result)

    def _take_batch(self, first: _Job) -> tuple[list[_Job], bool]:
        jobs, count, stopping = [first], len(first.rows), False
        deadline = time.monotonic() + self.max_delay
        while count < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                job = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                stopping = True
                break
            if job is _WAKE:
                continue
            jobs.append(job)
            count += len(job.rows)
        return jobs, stopping

    def _take_ready(self, room: int) -> tuple[list[_Job], bool]:
        """Jobs already queued, taken without waiting, until about ``room`` rows."""
        jobs: list[_Job] = []
        count = 0
        while count < room:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            if job is _WAKE:
                continue
            jobs.append(job)
            count += len(job.rows)
        return jobs, False

    def _tune_connection(self) -> None:
        """SQLite: statement journals in memory.  A 400-row INSERT changes more pages than the 64 KiB a
        statement journal keeps in memory, so SQLite spilled each one to a temporary file (open, write,
        unlink per statement).  The setting is per connection, so it is applied again after a reconnect."""
        if connection.vendor != "sqlite":
            return
        connection.ensure_connection()
        if connection.connection is not self._tuned:
            connection.connection.execute("PRAGMA temp_store=MEMORY")
            self._tuned = connection.connection

    def _insert(self, params: list[tuple], *, yielding: bool = False) -> tuple[int, int]:
        """Run the INSERT for ``params`` inside the caller's transaction: (rows done, rows inserted).
        ``yielding``: stop at the first statement boundary where an alarm waits (``_alarm_waiting``)."""
        sqlite = connection.vendor == "sqlite"
        # Many rows per statement.  sqlite3 releases the GIL around every statement step, and getting it
        # back can wait a whole switch interval behind the event loop thread: one step per row made the
        # writer thread crawl (batches of 100+ ms).  400 rows × 18 columns stays far below SQLite's limit
        # of 32,766 parameters.
        cursor = connection.connection.cursor() if sqlite else connection.cursor()
        done = inserted = 0
        try:
            while done < len(params):
                if yielding and done and self._alarm_waiting():
                    break
                chunk = params[done : done + ROWS_PER_STATEMENT]
                if sqlite:
                    cursor.execute(self._multi_row_sql(len(chunk)), [value for row in chunk for value in row])
                    inserted += cursor.rowcount
                else:
                    cursor.executemany(self._sql, chunk)
                    count = cursor.rowcount
                    inserted += count if count is not None and count >= 0 else len(chunk)
                done += len(chunk)
            return done, inserted
        finally:
            cursor.close()

    def _alarm_waiting(self) -> bool:
        """An alarm queued here, or one announced by another worker."""
        if not self._urgent.empty():
            return True
        return self._lock is not None and self._lock.alarm_waiting()

    def _let_alarms_in(self, encoder: Encoder) -> None:
        """Between two parts of a batch (the caller holds the lock): this worker's alarms are committed
        and handed to the hooks now; another worker's alarm gets the lock and we take it back."""
        if urgent := _drain(self._urgent):
            self._write_alarms(urgent, encoder)
        if self._lock is not None and self._lock.alarm_waiting():
            self._lock.hand_over(until=lambda: not self._urgent.empty())

    def _write_alarms(self, urgent: list[_Job], encoder: Encoder) -> None:
        """Commit alarms on their own and run their hooks (the caller holds the lock)."""
        rows = [row for job in urgent for row in job.rows]
        try:
            params = encoder.batch(rows)
        except Exception as exc:
            self._failed(urgent, rows, exc)
        else:
            if self._write(urgent, rows, params, encoder, time.perf_counter(), False)[0]:
                self._run_hooks(rows)
        finally:
            self._alarms_written(len(urgent))

    def _multi_row_sql(self, rows: int) -> str:
        sql = self._statements.get(rows)
        if sql is None:
            one = "(" + ", ".join(["?"] * len(COLUMNS)) + ")"
            sql = self._statements[rows] = (
                f"INSERT INTO {self._table} ({', '.join(COLUMNS)}) VALUES "  # noqa: S608 (names from the model)
                + ", ".join([one] * rows)
                + " ON CONFLICT (device_id, fix_time) DO NOTHING"
            )
        return sql

    @staticmethod
    def _settle(jobs: list[_Job], error: Exception | None) -> None:
        """Resolve every job of the batch; asyncio futures with one wake-up of their loop per batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in jobs:
            if job.loop is None and error is not None:
                job.future.set_exception(error)
            elif job.loop is None:
                job.future.set_result(len(job.rows))
            else:
                by_loop.setdefault(job.loop, []).append(job)
        for loop, loop_jobs in by_loop.items():
            loop.call_soon_threadsafe(_resolve, loop_jobs, error)

    def _run(self) -> None:
        # The writer thread keeps one connection for its whole life (closed only after an error), so
        # batches do not pay for reconnecting and re-running the SQLite pragmas.
        close_old_connections()
        encoder = Encoder()
        stopping = False
        while not stopping or not self._queue.empty() or not self._urgent.empty() or not self._calls.empty():
            if urgent := _drain(self._urgent):
                with self._lock or _NO_LOCK:
                    self._write_alarms(urgent, encoder)
                continue
            if calls := _drain(self._calls):
                with self._lock or _NO_LOCK:
                    self._run_calls(calls)
                continue
            try:
                first = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if first is None:
                stopping = True
                continue
            if first is _WAKE:
                continue
            jobs, stop_seen = self._take_batch(first)
            self.counters.queue_depth = self._queue.qsize()
            stop_seen = self._commit(jobs, encoder) or stop_seen
            stopping = stopping or stop_seen
        with self._calls_mutex:
            self._finished = True
        if calls := _drain(self._calls):  # queued while the loop was ending
            with self._lock or _NO_LOCK:
                self._run_calls(calls)
        connection.close()
        if self._lock is not None:
            self._lock.close()

    def _commit(self, jobs: list[_Job], encoder: Encoder) -> bool:
        """Commit a routine batch, then acknowledge it and run the hooks.  True if the stop marker was met.

        Commit and hooks happen under one hold of the write lock: the hooks write too (an alarm's alert,
        a zone's state), and outside the lock those transactions waited on SQLite's busy handler, which
        sleeps up to 100 ms between looks, while the other worker took the lock batch after batch.
        The batch gives way to an alarm between its statements and before its hooks."""
        rows = [row for job in jobs for row in job.rows]
        clock = _Clock()
        started = time.perf_counter()
        try:
            params = encoder.batch(rows)  # before the lock: the other worker may be committing meanwhile
        except Exception as exc:
            self._failed(jobs, rows, exc)
            return False
        waiting = time.perf_counter()
        clock.encode = waiting - started
        with self._lock or _NO_LOCK:
            clock.lock_wait = time.perf_counter() - waiting
            committed, stop_seen = self._write(jobs, rows, params, encoder, started, True, clock)
            if committed:
                self._let_alarms_in(encoder)  # before this batch's zone evaluation
                hooks_started = time.perf_counter()
                self._run_hooks(rows)
                self.counters.record_phases(clock.phases(len(rows), time.perf_counter() - hooks_started))
        return stop_seen

    def _write(
        self,
        jobs: list[_Job],
        rows: list[FixRow],
        params: list[tuple],
        encoder: Encoder,
        started: float,
        routine: bool,
        clock: _Clock | None = None,
    ) -> tuple[bool, bool]:
        """Insert and commit (the caller holds the write lock), then settle the jobs: (committed, stop seen).
        ``jobs``, ``rows`` and ``params`` grow by what joins the transaction.  A routine batch is committed
        in parts when an alarm waits; its jobs are settled once every part is (a part committed before a
        failure is stored, not acknowledged: the device resends and the duplicate is ignored)."""
        stop_seen = False
        inserted = 0
        try:
            self._tune_connection()
            if self._lock is not None and routine:
                # Whatever queued while the other worker held the lock joins this transaction: it would
                # otherwise wait for a whole further round of both workers' commits.
                later, stop_seen = self._take_ready(self.max_batch - len(rows))
                if later:
                    encoding = time.perf_counter()
                    jobs.extend(later)
                    later_rows = [row for job in later for row in job.rows]
                    rows.extend(later_rows)
                    params.extend(encoder.batch(later_rows))
                    if clock is not None:
                        clock.encode += time.perf_counter() - encoding
            pending = params
            while True:
                self._tune_connection()  # again after an alarm's failed write closed the connection
                with transaction.atomic():
                    inserting = time.perf_counter()
                    done, count = self._insert(pending, yielding=routine)
                    committing = time.perf_counter()
                if clock is not None:
                    clock.insert += committing - inserting
                    clock.commit += time.perf_counter() - committing
                inserted += count
                pending = pending[done:]
                if not pending:
                    break
                self._let_alarms_in(encoder)
        except Exception as exc:
            self._failed(jobs, rows, exc)
            return False, stop_seen
        self.counters.record_batch(inserted, len(rows) - inserted, (time.perf_counter() - started) * 1000)
        self._settle(jobs, None)
        return True, stop_seen

    def _failed(self, jobs: list[_Job], rows: list[FixRow], exc: Exception) -> None:
        self.counters.write_errors += 1
        logger.exception("gateway: batch of %d fixes not committed; devices will resend", len(rows))
        self._settle(jobs, exc)
        connection.close()  # a broken connection must not poison the next batch

    def _run_hooks(self, rows: list[FixRow]) -> None:
        for hook in hooks.registered():
            try:
                hook(rows)
            except Exception:
                self.counters.hook_errors += 1
                logger.exception("gateway: post-commit hook %r failed", hook)


_NO_LOCK = contextlib.nullcontext()
_WAKE = object()


class _Clock:
    """Seconds a routine batch spent in each step, for ``GatewayCounters.record_phases``."""

    __slots__ = ("commit", "encode", "insert", "lock_wait")

    def __init__(self) -> None:
        self.encode = self.lock_wait = self.insert = self.commit = 0.0

    def phases(self, rows: int, hooks: float) -> BatchPhases:
        ms = 1000.0
        return BatchPhases(
            rows, self.encode * ms, self.lock_wait * ms, self.insert * ms, self.commit * ms, hooks * ms
        )


def _drain(waiting: queue.Queue) -> list:
    """Everything queued at this moment, without waiting."""
    taken = []
    while True:
        try:
            taken.append(waiting.get_nowait())
        except queue.Empty:
            return taken


def _resolve(jobs: list[_Job], error: Exception | None) -> None:
    for job in jobs:
        if job.future.done():  # the connection went away meanwhile
            continue
        if error is None:
            job.future.set_result(len(job.rows))
        else:
            job.future.set_exception(error)
