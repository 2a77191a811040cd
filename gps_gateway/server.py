"""The asyncio side of the gateway: one TCP listener per binary protocol, framing, limits, acks.

Per connection: the read buffer is bounded (``max_buffer``), undecodable input is counted and the
connection closed after ``max_garbage`` bad frames or junk bytes, and an idle connection is closed after
``idle_timeout``.  Fixes are acknowledged only after the writer has committed them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from django.utils import timezone

from gps_gateway.directory import DeviceDirectory
from gps_gateway.filters import FilterLimits
from gps_gateway.handlers import Connection, Outcome, UnknownDeviceLog
from gps_gateway.ingest import prepare
from gps_gateway.protocols.common import FrameError
from gps_gateway.stats import GatewayCounters
from gps_gateway.writer import BatchWriter

logger = logging.getLogger("anbang.gateway")


@dataclass(frozen=True)
class ConnectionLimits:
    max_buffer: int = 64 * 1024
    max_garbage: int = 4096  # junk bytes plus 256 per bad frame, before the connection is closed
    idle_timeout: float = 600.0  # trackers send a heartbeat every few minutes


class Gateway:
    def __init__(
        self,
        directory: DeviceDirectory,
        writer: BatchWriter,
        counters: GatewayCounters,
        *,
        filters: FilterLimits | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.directory = directory
        self.writer = writer
        self.counters = counters
        self.filters = filters or FilterLimits()
        self.limits = limits or ConnectionLimits()
        self.unknown = UnknownDeviceLog()
        self.handlers = self._handlers()
        self.servers: list[asyncio.base_events.Server] = []

    def _handlers(self) -> dict:
        from gps_gateway.handlers.imei import available_imei_handlers
        from gps_gateway.handlers.jt808 import Jt808Handler

        handlers = {"jt808": Jt808Handler(self.directory, self.counters, self.unknown)}
        handlers.update(available_imei_handlers(self.directory, self.counters, self.unknown))
        return handlers

    async def listen(
        self, protocol: str, host: str, port: int, *, reuse_port: bool = False
    ) -> asyncio.base_events.Server:
        if protocol == "osmand":
            from gps_gateway.http_osmand import OsmAndServer

            server = await asyncio.start_server(
                OsmAndServer(self).handle, host, port, backlog=4096, reuse_port=reuse_port or None
            )
        else:
            handler = self.handlers[protocol]

            async def serve(reader, writer):
                await self.serve_tcp(handler, reader, writer)

            server = await asyncio.start_server(
                serve, host, port, backlog=4096, reuse_port=reuse_port or None
            )
        self.servers.append(server)
        return server

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()

    async def store(self, outcome: Outcome) -> bool:
        """Commit the outcome's fixes; False if the commit failed (then nothing may be acknowledged)."""
        if not outcome.fixes or outcome.device is None:
            return True
        rows = prepare(outcome.fixes, outcome.device, timezone.now(), self.counters, self.filters)
        try:
            await self.writer.write(rows)
        except Exception:
            return False
        return True

    async def serve_tcp(self, handler, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        conn = Connection(handler.protocol, f"{peer[0]}:{peer[1]}" if peer else "?")
        self.counters.connections[handler.protocol] += 1
        self.counters.connections_total[handler.protocol] += 1
        buffer, garbage = b"", 0
        try:
            while True:
                try:
                    data = await asyncio.wait_for(reader.read(16384), self.limits.idle_timeout)
                except TimeoutError:
                    break
                if not data:
                    break
                buffer += data
                split = handler.split(buffer)
                buffer, garbage = split.rest, garbage + split.junk
                if len(buffer) > self.limits.max_buffer:
                    self.counters.malformed[handler.protocol] += 1
                    break
                for frame in split.frames:
                    try:
                        outcome = await handler.handle(frame, conn)
                    except (FrameError, ValueError, IndexError):
                        # A decoder may meet input no capture showed; count it, never crash the process.
                        self.counters.malformed[handler.protocol] += 1
                        garbage += 256
                        continue
                    if not await self.store(outcome):
                        return  # no ack: the device resends on its next connection
                    for reply in (outcome.reply_now, outcome.ack):
                        if reply:
                            writer.write(reply)
                    if outcome.close:
                        return
                if garbage > self.limits.max_garbage:
                    self.counters.closed_for_garbage += 1
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.counters.connections[handler.protocol] -= 1
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
