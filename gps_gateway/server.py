"""The asyncio side of the gateway: one TCP listener per binary protocol, framing, limits, acks.

Per connection: the read buffer is bounded (``max_buffer``), undecodable input is counted and the
connection closed after ``max_garbage`` bad frames or junk bytes, a connection that has not identified its
device within ``identify_timeout`` is closed, and so is one without a decoded frame for ``idle_timeout``
(junk does not count).  A source address holds at most ``max_per_source`` connections per worker
(``gps_gateway/listener.py``).  Fixes are acknowledged only after the writer has committed them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from gps_gateway.clock import now
from gps_gateway.filters import FilterLimits
from gps_gateway.http_osmand import OsmAndServer
from gps_gateway.ingest import prepare
from gps_gateway.listener import Listener, Notices, SourceLimit, listening_socket
from gps_gateway.ports import DeviceSource, FixSink
from gps_gateway.sessions.common import Outcome, UnknownDeviceLog
from gps_gateway.sessions.imei import available_imei_sessions
from gps_gateway.sessions.jt808 import Jt808Session
from gps_gateway.stats import GatewayCounters
from gps_gateway.tracker_protocol import TrackerProtocol

logger = logging.getLogger("anbang.gateway")


@dataclass(frozen=True)
class ConnectionLimits:
    max_buffer: int = 64 * 1024
    max_garbage: int = 4096  # junk bytes plus 256 per bad frame, before the connection is closed
    idle_timeout: float = 600.0  # trackers send a heartbeat every few minutes
    identify_timeout: float = 30.0  # from connect to a proven device (settings.GATEWAY_IDENTIFY_SECONDS)
    max_per_source: int = 1000  # open connections per source address, 0: no cap (carrier NAT: be generous)


class Gateway:
    def __init__(
        self,
        directory: DeviceSource,
        writer: FixSink,
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
        self.unknown = UnknownDeviceLog(counters)
        self.notices = Notices()
        self.sources = SourceLimit(self.limits.max_per_source)
        self.sessions = self._sessions()
        self.servers: list[Listener] = []

    def _sessions(self) -> dict:
        sessions = {"jt808": Jt808Session(self.directory, self.counters, self.unknown)}
        sessions.update(available_imei_sessions(self.directory, self.counters, self.unknown))
        return sessions

    async def listen(self, protocol: str, host: str, port: int, *, reuse_port: bool = False) -> Listener:
        if protocol == "osmand":
            factory = OsmAndServer(self).protocol
        else:
            session = self.sessions[protocol]
            factory = partial(TrackerProtocol, self, session)
        sock = listening_socket(host, port, reuse_port=reuse_port)
        listener = Listener(sock, factory, self.sources, self.counters, self.notices)
        listener.start()
        self.servers.append(listener)
        return listener

    async def close(self) -> None:
        """Stop accepting; connections already open end with the process."""
        for listener in self.servers:
            listener.close()

    async def store(self, outcome: Outcome) -> bool:
        """Commit the outcome's fixes; False if the commit failed (then nothing may be acknowledged)."""
        if not outcome.fixes or outcome.device is None:
            return True
        rows = prepare(outcome.fixes, outcome.device, now(), self.counters, self.filters)
        try:
            await self.writer.write(rows)
        except Exception:
            return False
        return True
