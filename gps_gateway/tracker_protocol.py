"""One tracker connection as an ``asyncio.Protocol``: no coroutine per frame on the hot path.

``data_received`` cuts frames, decodes them and hands fixes to the writer; each frame's replies wait in
``_replies`` in arrival order and go out when every earlier one is ready — an ack never overtakes the
commit of its fixes, and never overtakes an earlier frame's ack.  A commit that fails closes the
connection with nothing further sent (the device resends).  The rare message that needs the database
before it can be answered (JT/T 808 registration) pauses the connection until it is done.

One timer per connection closes it when it has not proved its device (``conn.authenticated``) within
``identify_timeout`` of connecting, or has gone ``idle_timeout`` without a frame that decoded: bytes
alone (a JT/T 808 prefix and a byte every few seconds) keep nothing open.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from gps_gateway.clock import now
from gps_gateway.ingest import prepare
from gps_gateway.listener import Admission
from gps_gateway.protocols.common import FrameError
from gps_gateway.sessions.common import Connection, Outcome

logger = logging.getLogger("anbang.gateway")


class _Reply:
    __slots__ = ("data", "future")

    def __init__(self, data: bytes | None, future: asyncio.Future | None) -> None:
        self.data, self.future = data, future


class TrackerProtocol(asyncio.Protocol):
    def __init__(self, gateway, session, admission: Admission | None = None) -> None:
        self.gateway = gateway
        self.session = session
        self.counters = gateway.counters
        self.limits = gateway.limits
        self.loop = asyncio.get_running_loop()
        self.buffer = b""
        self.garbage = 0
        self.replies: deque[_Reply] = deque()
        self.waiting: bytes | None = None  # input held while a deferred outcome runs
        self.closing = False
        self.close_when_flushed = False
        self.last_activity = 0.0  # loop time of the last frame that decoded
        self.opened = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.admission = admission

    # --- connection -------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.conn = Connection(self.session.protocol, f"{peer[0]}:{peer[1]}" if peer else "?")
        self.counters.connections[self.session.protocol] += 1
        self.counters.connections_total[self.session.protocol] += 1
        self.last_activity = self.opened = self.loop.time()
        limits = self.limits
        self.timer = self.loop.call_later(min(limits.identify_timeout, limits.idle_timeout), self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self.counters.connections[self.session.protocol] -= 1
        self.closing = True
        if self.timer is not None:
            self.timer.cancel()
        if self.admission is not None:
            self.admission.release()

    def _check_idle(self) -> None:
        # One timer per connection, re-armed lazily: resetting it on every frame would cost a heap push.
        now, limits = self.loop.time(), self.limits
        if not self.conn.authenticated:
            left = self.opened + limits.identify_timeout - now
            if left <= 0:
                self.gateway.notices.warn(
                    "identify_timeout",
                    "gateway: closed a %s connection from %s that did not identify its device within %.0f s",
                    self.session.protocol, self.conn.peer.rsplit(":", 1)[0], limits.identify_timeout,
                )  # fmt: skip
                self._close_for("identify_timeout")
                return
        idle = now - self.last_activity
        if idle >= limits.idle_timeout:
            self._close_for("idle_timeout")
            return
        wait = limits.idle_timeout - idle
        if not self.conn.authenticated:
            wait = min(wait, left)
        self.timer = self.loop.call_later(wait, self._check_idle)

    def _close_for(self, reason: str) -> None:
        self.counters.connections_closed[reason] += 1
        self._close()

    def _close(self) -> None:
        self.closing = True
        self.transport.close()

    # --- input ------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.waiting is not None:
            self.waiting += data
            return
        self._consume(data)

    def _consume(self, data: bytes) -> None:
        self.buffer += data
        split = self.session.split(self.buffer)
        self.buffer, self.garbage = split.rest, self.garbage + split.junk
        if len(self.buffer) > self.limits.max_buffer:
            self.counters.malformed[self.session.protocol] += 1
            self._close_for("buffer_full")
            return
        self._handle_frames(split.frames)

    def _handle_frames(self, frames: list[bytes]) -> None:
        decoded = False
        for index, frame in enumerate(frames):
            if self.closing:
                break
            try:
                outcome = self.session.handle(frame, self.conn)
            except (FrameError, ValueError, IndexError) as exc:
                # A decoder may meet input no capture showed; count it, never crash the process.
                self.counters.malformed[self.session.protocol] += 1
                reason = getattr(exc, "reason", None)
                if reason is not None:
                    self.counters.frames_refused[f"{self.session.protocol}_{reason}"] += 1
                self.garbage += 256
                continue
            decoded = True
            if outcome.deferred is not None:
                self.last_activity = self.loop.time()
                self._defer(outcome, frames[index + 1 :])
                return
            self._accept(outcome)
        if decoded:
            self.last_activity = self.loop.time()  # once per read, not per frame
        if self.garbage > self.limits.max_garbage and not self.closing:
            self.counters.closed_for_garbage += 1
            self._close_for("garbage")

    def _defer(self, outcome: Outcome, later_frames: list[bytes]) -> None:
        """Hold further input until the deferred work is done, then go on where we stopped."""
        self.waiting = b""
        task = self.loop.create_task(outcome.deferred)

        def resume(done: asyncio.Task) -> None:
            held, self.waiting = self.waiting, None
            if done.cancelled():
                self._close()
                return
            if (error := done.exception()) is not None:
                # A registration or authentication that failed in the database: say so, never silently.
                # The type only: a database error's text can quote a terminal's identifiers.
                logger.error("gateway: %s connection closed: its deferred work failed (%s)",
                             self.session.protocol, type(error).__name__)  # fmt: skip
                self._close_for("deferred_error")
                return
            self._accept(done.result())
            self._handle_frames(later_frames)
            if held and self.waiting is None and not self.closing:
                self._consume(held)
            elif held:
                self.waiting = (self.waiting or b"") + held

        task.add_done_callback(resume)

    def _accept(self, outcome: Outcome) -> None:
        future = None
        if outcome.fixes and outcome.device is not None:
            rows = prepare(outcome.fixes, outcome.device, now(), self.counters, self.gateway.filters)
            if rows:
                future = self.gateway.writer.enqueue(rows, self.loop)
                if future is None:  # the writer's queue is full: stop reading until this batch is in
                    self.transport.pause_reading()
                    future = self.loop.create_task(self.gateway.writer.write(rows))
                    future.add_done_callback(self._resume_reading)
        data, ack = outcome.reply_now, outcome.ack
        if ack:
            data = data + ack if data else ack
        elif not data:
            data = None
        self.close_when_flushed = self.close_when_flushed or outcome.close
        if future is None and not self.replies:
            if data:
                self.transport.write(data)
            if self.close_when_flushed:
                self._close()
            return
        self.replies.append(_Reply(data, future))
        if future is not None:
            future.add_done_callback(self._flush)
        else:
            self._flush()

    def _resume_reading(self, _=None) -> None:
        if not self.closing:
            self.transport.resume_reading()

    def _flush(self, _=None) -> None:
        while self.replies:
            head = self.replies[0]
            if head.future is not None:
                if not head.future.done():
                    return
                if head.future.cancelled() or head.future.exception() is not None:
                    self.replies.clear()
                    self._close()  # not committed: no ack for it or for anything after it
                    return
            self.replies.popleft()
            if head.data and not self.closing:
                self.transport.write(head.data)
        if self.close_when_flushed:
            self._close()
