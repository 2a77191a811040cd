"""Accepting tracker connections: a cap per source address, and a full file table survived.

The gateway accepts on its own listening sockets instead of ``loop.create_server``: a source over its
cap must be refused before a transport and a protocol exist for it, and running out of file descriptors
(EMFILE/ENFILE) must be logged and counted.  uvloop (libuv) accepts and drops connections silently when
the table is full and closes the listener for good if it cannot; asyncio logs through the loop's
exception handler only.  Here ``accept`` failing for want of descriptors stops accepting for
``FD_BACKOFF_S`` (the kernel keeps new connections in the backlog meanwhile), then tries again.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from gps_gateway.stats import GatewayCounters

logger = logging.getLogger("anbang.gateway")

ACCEPT_BATCH = 128  # connections taken per readiness event, so one busy port cannot starve the loop
FD_BACKOFF_S = 0.5  # pause after EMFILE: long enough not to spin, short against the devices' retry
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class Notices:
    """Warnings that may come in thousands (a flood): logged at most once per key per interval, with the
    number left out since the last one; the counters count every one."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = defaultdict(lambda: -interval)
        self._suppressed: dict[str, int] = defaultdict(int)

    def warn(self, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last[key] < self.interval:
            self._suppressed[key] += 1
            return
        self._last[key] = now
        logger.warning(message + " (%d more since the last notice)", *args, self._suppressed.pop(key, 0))


class Admission:
    """One accepted connection's place in its source's count; released exactly once."""

    __slots__ = ("source", "sources")

    def __init__(self, sources: SourceLimit, source: str) -> None:
        self.sources: SourceLimit | None = sources
        self.source = source

    def release(self) -> None:
        if self.sources is not None:
            self.sources.release(self.source)
            self.sources = None


class SourceLimit:
    """Open connections per source address in this worker process (every port together); 0: no cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: dict[str, int] = {}

    def admit(self, source: str) -> Admission | None:
        count = self.open.get(source, 0)
        if self.cap and count >= self.cap:
            return None
        self.open[source] = count + 1
        return Admission(self, source)

    def release(self, source: str) -> None:
        count = self.open.get(source, 0) - 1
        if count > 0:
            self.open[source] = count
        else:
            self.open.pop(source, None)


def listening_socket(host: str, port: int, *, reuse_port: bool, backlog: int = 4096) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class Listener:
    """One listening port.  ``factory(admission)`` builds the protocol of an accepted connection; the
    protocol calls ``admission.release()`` when the connection ends."""

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[Admission], asyncio.BaseProtocol],
        sources: SourceLimit,
        counters: GatewayCounters,
        notices: Notices,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.sock, self.factory = sock, factory
        self.sources, self.counters, self.notices = sources, counters, notices
        self.sockets = [sock]  # as asyncio's Server has it
        self._retry: asyncio.TimerHandle | None = None
        self._closed = False

    def start(self) -> None:
        self._retry = None
        if not self._closed:
            self.loop.add_reader(self.sock.fileno(), self._accept)

    def close(self) -> None:
        self._closed = True
        if self._retry is not None:
            self._retry.cancel()
        else:
            self.loop.remove_reader(self.sock.fileno())
        self.sock.close()

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue  # gone before we took it
            except OSError as exc:
                self._back_off(exc)
                return
            source = address[0]
            admission = self.sources.admit(source)
            if admission is None:
                conn.close()
                self.counters.connections_refused["per_ip_limit"] += 1
                self.notices.warn(
                    "per_ip_limit",
                    "gateway: %s is at its connection cap (%d per source address); further connections refused",
                    source, self.sources.cap,
                )  # fmt: skip
                continue
            try:
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # acks are small: never merge
            except OSError:  # reset before we got to it
                conn.close()
                admission.release()
                continue
            task = self.loop.create_task(
                self.loop.connect_accepted_socket(partial(self.factory, admission), conn)
            )
            task.add_done_callback(partial(_connected, conn, admission))

    def _back_off(self, exc: OSError) -> None:
        reason = "fd_exhausted" if exc.errno in _OUT_OF_DESCRIPTORS else "accept_error"
        self.counters.connections_refused[reason] += 1
        if reason == "fd_exhausted":
            self.notices.warn(
                "fd_exhausted",
                "gateway: out of file descriptors (%s) accepting on port %d; pausing accepts for %.1f s",
                errno.errorcode.get(exc.errno or 0, "?"), self.sock.getsockname()[1], FD_BACKOFF_S,
            )  # fmt: skip
        else:
            self.notices.warn("accept_error", "gateway: accept failed: %s; pausing accepts", exc)
        self.loop.remove_reader(self.sock.fileno())
        self._retry = self.loop.call_later(FD_BACKOFF_S, self.start)


def _connected(conn: socket.socket, admission: Admission, done: asyncio.Task) -> None:
    if done.cancelled() or done.exception() is not None:
        conn.close()  # the peer went at once, or the loop is closing: no protocol will release it
        admission.release()
