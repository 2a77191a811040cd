"""The one write lock of the gateway's writers on a SQLite file, across the worker processes; and the
alarms-first hand-over between them (docs/protocols.md, "Alarms first").  Held by ``BatchWriter`` for each
batch with its hooks, and for the jobs it runs between batches (the devices' status)."""

from __future__ import annotations

import fcntl
import os
import struct
import time

from django.db import connection

_FLOCK = "hh4xqqi4x"  # Linux struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)


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
