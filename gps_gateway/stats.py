"""Counters of one gateway process: what came in, what was stored, what was refused and why."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass
class GatewayCounters:
    started: float = field(default_factory=time.time)
    received: int = 0  # fixes decoded from devices
    stored: int = 0  # rows inserted
    duplicates: int = 0  # (device, fix_time) already stored: a resend after a lost ack
    rejected: Counter = field(default_factory=Counter)  # by reason
    malformed: Counter = field(default_factory=Counter)  # frames that did not decode, by protocol
    unknown_devices: Counter = field(default_factory=Counter)  # by protocol
    auth_failures: Counter = field(default_factory=Counter)
    registrations_refused: int = 0  # JT/T 808 0x0100 for a terminal already registered (result 3)
    flagged: Counter = field(default_factory=Counter)  # stored but flagged (impossible_jump), by reason
    connections: Counter = field(default_factory=Counter)  # open now, by protocol
    connections_total: Counter = field(default_factory=Counter)
    # Connections the gateway refused at accept (per_ip_limit, fd_exhausted) and closed itself
    # (identify_timeout, idle_timeout, garbage, buffer_full), by reason.
    connections_refused: Counter = field(default_factory=Counter)
    connections_closed: Counter = field(default_factory=Counter)
    # Frames a decoder read but refused (a length field that disagrees, a message cut short), by reason.
    frames_refused: Counter = field(default_factory=Counter)
    unknown_alarms: Counter = field(default_factory=Counter)  # alarm names dropped (fix kept), by protocol
    closed_for_garbage: int = 0
    hook_errors: int = 0
    write_errors: int = 0
    batches: int = 0
    batch_ms: deque = field(default_factory=lambda: deque(maxlen=2000))
    # Where a routine batch's time went, last 2000 batches: rows and ms per phase (BatchPhases order).
    batch_phases: deque = field(default_factory=lambda: deque(maxlen=2000))
    queue_depth: int = 0
    rate: float = 0.0  # fixes stored per second over the last stats interval
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rate_mark: tuple[float, int] = (0.0, 0)

    def record_batch(self, stored: int, duplicates: int, millis: float) -> None:
        with self._lock:
            self.stored += stored
            self.duplicates += duplicates
            self.batches += 1
            self.batch_ms.append(millis)

    def record_phases(self, phases: BatchPhases) -> None:
        with self._lock:
            self.batch_phases.append(phases)

    def phase_means(self) -> dict | None:
        """Mean rows and milliseconds per phase over the recent routine batches (None before the first)."""
        with self._lock:
            recent = list(self.batch_phases)
        if not recent:
            return None
        means = [round(sum(values) / len(recent), 2) for values in zip(*recent, strict=True)]
        return dict(zip(BatchPhases._fields, means, strict=True))

    def fixes_per_second(self) -> float:
        now = time.time()
        mark_time, mark_count = self._rate_mark
        self._rate_mark = (now, self.stored)
        return 0.0 if mark_time == 0 else (self.stored - mark_count) / max(now - mark_time, 1e-6)

    def snapshot(self) -> dict:
        with self._lock:
            latencies = sorted(self.batch_ms)
        p = (
            (lambda q: round(latencies[min(len(latencies) - 1, int(len(latencies) * q))], 2))
            if latencies
            else (lambda q: None)
        )
        return {
            "uptime_s": round(time.time() - self.started),
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": dict(self.rejected),
            "malformed": dict(self.malformed),
            "unknown_devices": dict(self.unknown_devices),
            "auth_failures": dict(self.auth_failures),
            "registrations_refused": self.registrations_refused,
            "flagged": dict(self.flagged),
            "connections": dict(self.connections),
            "connections_total": dict(self.connections_total),
            "connections_refused": dict(self.connections_refused),
            "connections_closed": dict(self.connections_closed),
            "frames_refused": dict(self.frames_refused),
            "unknown_alarms": dict(self.unknown_alarms),
            "closed_for_garbage": self.closed_for_garbage,
            "hook_errors": self.hook_errors,
            "write_errors": self.write_errors,
            "batches": self.batches,
            "batch_ms_p50": p(0.5),
            "batch_ms_p99": p(0.99),
            "batch_phases_mean": self.phase_means(),
            "queue_depth": self.queue_depth,
            "fixes_per_s": round(self.rate, 1),
        }

    def log_line(self, rate: float) -> str:
        s = self.snapshot()
        rejected = sum(s["rejected"].values())
        return (
            f"gateway: {rate:.0f} fixes/s stored={s['stored']} dup={s['duplicates']} rejected={rejected} "
            f"malformed={sum(s['malformed'].values())} unknown={sum(s['unknown_devices'].values())} "
            f"conns={sum(s['connections'].values())} conns_refused={sum(s['connections_refused'].values())} "
            f"conns_closed={sum(s['connections_closed'].values())} frames_refused={sum(s['frames_refused'].values())} "
            f"queue={s['queue_depth']} batch_p99={_ms(s['batch_ms_p99'])}"
            f" flagged={sum(s['flagged'].values())} reg_refused={s['registrations_refused']}"
            + _phases_text(s["batch_phases_mean"])
        )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value}ms"  # no batch yet: nothing to measure


class BatchPhases(NamedTuple):
    """One routine batch of the writer: its rows, and the milliseconds of each step in order — encrypting
    and binding the rows, waiting for the write lock (another worker commits meanwhile), the INSERT
    statements, the COMMIT (with any WAL checkpoint it runs), and the post-commit hooks."""

    rows: float
    encode_ms: float
    lock_wait_ms: float
    insert_ms: float
    commit_ms: float
    hooks_ms: float


def _phases_text(means: dict | None) -> str:
    if not means:
        return ""
    return (
        f" batch_rows={means['rows']:.0f} encode={means['encode_ms']:.1f}ms lock_wait={means['lock_wait_ms']:.1f}ms"
        f" insert={means['insert_ms']:.1f}ms commit={means['commit_ms']:.1f}ms hooks={means['hooks_ms']:.1f}ms"
    )
