"""The durable batched writer: fixes from every connection, committed together, acknowledged after.

Connections hand over their fixes and wait; a writer thread takes what is queued (up to ``max_batch``
rows, or whatever arrived within ``max_delay``), inserts it in one transaction with
``ON CONFLICT (device, fix_time) DO NOTHING``, commits, and only then resolves each connection's future —
which is when the connection sends its 0x8001, GT06 reply or HTTP 200.  If the commit fails, every
future in the batch fails and no acknowledgement goes out: the device keeps the fix and sends it again.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import datetime as dt
import fcntl
import logging
import os
import queue
import struct
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection, transaction

from backend.core.crypto.keyring import NONCE_BYTES
from gps_gateway import hooks
from gps_gateway.protocols.common import Alarm, Fix
from gps_gateway.stats import BatchPhases, GatewayCounters

logger = logging.getLogger("anbang.gateway")

COLUMNS = (
    "device_id", "person_id", "fix_time", "received_at", "point", "valid", "source", "accuracy_m", "speed_kmh",
    "course", "altitude_m", "satellites", "battery_pct", "alarms", "late", "archive", "attributes", "implausible",
)  # fmt: skip


ROWS_PER_STATEMENT = 400


@dataclass(slots=True)
class FixRow:
    device_id: int
    person_id: int | None
    fix: Fix
    received_at: dt.datetime
    late: bool
    store_point: bool = True
    implausible: bool = False  # an impossible jump: stored flagged, never judged against zones


@dataclass(slots=True)
class _Job:
    """Rows from one connection, and how to tell it the outcome: a concurrent future (threads, tests),
    or an asyncio future of ``loop``, resolved together with the rest of the batch."""

    rows: list[FixRow]
    future: concurrent.futures.Future | asyncio.Future
    loop: asyncio.AbstractEventLoop | None = None


class Encoder:
    """Turns FixRows into parameter tuples, encrypting the point and attributes as the model fields do."""

    def __init__(self) -> None:
        from backend.core.crypto.keyring import get_keyring
        from backend.monitoring.models import Position

        self._point = Position._meta.get_field("point")
        self._attributes = Position._meta.get_field("attributes")
        self._point_aad = self._point.aad()
        self._attributes_aad = self._attributes.aad()
        # EncryptedJSONField.encode_plain's JSON with one encoder kept, not one built per fix by dumps().
        self._json = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))
        self._keyring = get_keyring
        self._adapt = connection.ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC":
            self._adapt = _sqlite_datetime(self._adapt)

    def batch(self, rows: list[FixRow]) -> list[tuple]:
        """Parameter tuples for a batch; one keyring lookup and one conversion per distinct receive time."""
        keyring = self._keyring()
        sealer = _Sealer(keyring, 2 * len(rows))  # a point and attributes at most per row
        received: dict[dt.datetime, object] = {}
        out = []
        for row in rows:
            when = received.get(row.received_at)
            if when is None:
                when = received[row.received_at] = self._adapt(row.received_at)
            out.append(self.encode(row, keyring, when, sealer))
        return out

    def attributes_plain(self, attributes: dict) -> bytes:
        return self._json.encode(attributes).encode()

    def encode(self, row: FixRow, keyring=None, received_at=None, sealer: _Sealer | None = None) -> tuple:
        fix = row.fix
        encrypt = sealer.encrypt if sealer is not None else (keyring or self._keyring()).encrypt
        point = None
        if row.store_point and fix.latitude is not None and fix.longitude is not None:
            # The JSON of two floats, written directly: what EncryptedJSONField would produce, 5x cheaper.
            plain = f"[{float(fix.latitude)!r},{float(fix.longitude)!r}]".encode()
            point = encrypt(plain, self._point_aad)
        attributes = None
        if fix.attributes:
            attributes = encrypt(self.attributes_plain(fix.attributes), self._attributes_aad)
        return (
            row.device_id, row.person_id, self._adapt(fix.fix_time),
            received_at if received_at is not None else self._adapt(row.received_at), point,
            bool(fix.valid and point is not None), fix.source, fix.accuracy_m, fix.speed_kmh, fix.course,
            fix.altitude_m, fix.satellites, fix.battery_pct, ",".join(sorted(fix.alarms))[:200], row.late,
            fix.archive, attributes, row.implausible,
        )  # fmt: skip


class _Sealer:
    """``Keyring.encrypt`` for one batch — the same ``v<version>:base64(nonce || ciphertext || tag)`` under
    the active data key — with the batch's random nonces drawn in one call: one getrandom() per value
    was 4 % of a worker's time."""

    __slots__ = ("_key", "_nonces", "_prefix", "_used")

    def __init__(self, keyring, count: int) -> None:
        self._key = keyring.data_keys[keyring.active_version]
        self._prefix = f"v{keyring.active_version}:"
        self._nonces = os.urandom(NONCE_BYTES * count)
        self._used = 0

    def encrypt(self, plaintext: bytes, aad: bytes) -> str:
        start = self._used
        nonce = self._nonces[start : start + NONCE_BYTES]
        if len(nonce) < NONCE_BYTES:  # more values than foreseen: never reuse, draw afresh
            nonce = os.urandom(NONCE_BYTES)
        self._used = start + NONCE_BYTES
        sealed = self._key.encrypt(nonce, plaintext, aad)
        return self._prefix + base64.b64encode(nonce + sealed).decode("ascii")


def _sqlite_datetime(general):
    """What Django's SQLite backend stores for a datetime (naive UTC text), straight for the UTC-aware
    datetimes every decoder returns; anything else goes the general way."""
    utc = dt.UTC

    def adapt(value):
        if value is not None and value.tzinfo is utc:
            # str() of the naive value: the aware text without its "+00:00" (no naive copy built).
            return value.isoformat(" ")[:-6]
        return general(value)

    return adapt


class WriteLock:
    """One gateway writer at a time on a SQLite file, across the worker processes (an ``flock``).

    Without it the workers' writers meet on SQLite's own lock, whose busy handler sleeps in steps of up
    to 100 ms before looking again: a batch waited long after the other worker had committed.  A
    blocked ``flock`` wakes the moment it is released, and the wait happens outside the GIL.
    PostgreSQL needs nothing of the kind (concurrent inserts do not exclude each other).

    Alarms first across workers: a worker with an alarm not yet committed says so with a read lock on a
    second file, ``…-urgent`` (``announce`` … ``withdraw``); the holder asks between statements
    (``alarm_waiting``), commits what it has and lets the other in instead of finishing its batch."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._urgent_fd: int | None = None

    @classmethod
    def for_connection(cls) -> WriteLock | None:
        name = str(connection.settings_dict.get("NAME") or "")
        if connection.vendor != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
            return None
        return cls(name + "-gateway-writer.lock")

    def open(self) -> WriteLock:
        """Open both files now, at start: a writer thread that first opened them when the process had run
        out of descriptors (a connection flood) died of EMFILE, and nothing was committed again."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._urgent()
        return self

    def __enter__(self) -> WriteLock:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _urgent(self) -> int:
        if self._urgent_fd is None:
            self._urgent_fd = os.open(self.path + "-urgent", os.O_RDWR | os.O_CREAT, 0o600)
        return self._urgent_fd

    def _record_lock(self, command: int, kind: int) -> int:
        """An open-file-description record lock on the first byte of ``…-urgent``; returns its l_type."""
        answer = fcntl.fcntl(self._urgent(), command, struct.pack(_FLOCK, kind, os.SEEK_SET, 0, 1, 0))
        return struct.unpack(_FLOCK, answer)[0]

    def announce(self) -> None:
        """This worker has an alarm not yet committed (a read lock: announcements never block each other)."""
        self._record_lock(fcntl.F_OFD_SETLKW, fcntl.F_RDLCK)

    def withdraw(self) -> None:
        self._record_lock(fcntl.F_OFD_SETLK, fcntl.F_UNLCK)

    def alarm_waiting(self) -> bool:
        """Has another worker announced an alarm?  F_OFD_GETLK only asks, takes nothing: a probe that took
        a lock, even for an instant, was seen by the other worker as an alarm whenever the GIL kept the
        prober from releasing it (under load, milliseconds).  Our own announcement does not count."""
        return self._record_lock(fcntl.F_OFD_GETLK, fcntl.F_WRLCK) != fcntl.F_UNLCK

    def hand_over(self, until, patience: float = 0.5) -> None:
        """Let another worker's announced alarm in and take the lock back.  flock promises no order, so
        wait until the other worker has it (its announcement ends once its alarms are written) or
        ``until()`` is true (an alarm of our own arrived), at most ``patience`` seconds."""
        self.__exit__()
        deadline = time.monotonic() + patience
        while self.alarm_waiting() and not until() and time.monotonic() < deadline:
            time.sleep(0.0005)
        self.__enter__()

    def close(self) -> None:
        for fd in (self._fd, self._urgent_fd):
            if fd is not None:
                os.close(fd)
        self._fd = self._urgent_fd = None


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
        self.queue_size = queue_size
        self._thread = threading.Thread(target=self._run, name="gateway-writer", daemon=True)
        columns, marks = ", ".join(COLUMNS), ", ".join(["%s"] * len(COLUMNS))
        self._sql = (
            f"INSERT INTO monitoring_position ({columns}) VALUES ({marks}) "  # noqa: S608 (constant names)
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

    def submit(self, rows: list[FixRow]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        urgent = _urgent(rows)
        while self._full(urgent):  # full: back-pressure on the caller
            time.sleep(0.001)
        self._put(_Job(rows, future), urgent)
        return future

    def enqueue(self, rows: list[FixRow], loop: asyncio.AbstractEventLoop) -> asyncio.Future | None:
        """Queue ``rows`` without waiting; a future of ``loop`` resolves after commit.  None when full."""
        urgent = _urgent(rows)
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
        urgent = _urgent(rows)
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

    def _take_urgent(self) -> list[_Job]:
        jobs: list[_Job] = []
        while True:
            try:
                jobs.append(self._urgent.get_nowait())
            except queue.Empty:
                return jobs

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
        if urgent := self._take_urgent():
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
                f"INSERT INTO monitoring_position ({', '.join(COLUMNS)}) VALUES "  # noqa: S608 (constant names)
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
        while not stopping or not self._queue.empty() or not self._urgent.empty():
            if urgent := self._take_urgent():
                with self._lock or _NO_LOCK:
                    self._write_alarms(urgent, encoder)
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
_FLOCK = "hh4xqqi4x"  # Linux struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)
_WAKE = object()
# The alarms that jump the queue: a person in danger or a tag taken off.  Not low battery or power cut,
# which some devices keep raising on every fix while the condition lasts.
URGENT_ALARMS = frozenset({Alarm.SOS, Alarm.REMOVING, Alarm.TAMPERING})


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


def _urgent(rows: list[FixRow]) -> bool:
    return any(row.fix.alarms and not URGENT_ALARMS.isdisjoint(row.fix.alarms) for row in rows)


def _resolve(jobs: list[_Job], error: Exception | None) -> None:
    for job in jobs:
        if job.future.done():  # the connection went away meanwhile
            continue
        if error is None:
            job.future.set_result(len(job.rows))
        else:
            job.future.set_exception(error)
