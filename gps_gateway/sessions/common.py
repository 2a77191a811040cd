"""What every session shares: the connection it keeps, the outcome of one frame, and the log of refused
unknown devices."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from gps_gateway.devices import DeviceInfo
from gps_gateway.protocols.common import Fix, SessionState
from gps_gateway.stats import GatewayCounters

logger = logging.getLogger("anbang.gateway")


@dataclass
class Connection:
    protocol: str
    peer: str
    session: SessionState = field(default_factory=SessionState)
    device: DeviceInfo | None = None
    authenticated: bool = False


@dataclass
class Outcome:
    """What to do with one frame: store ``fixes`` for ``device`` and then send ``ack``; or answer at once
    with ``reply_now`` (nothing to commit); ``close`` ends the connection after sending."""

    fixes: list[Fix] = field(default_factory=list)
    device: DeviceInfo | None = None
    ack: bytes | None = None
    reply_now: bytes | None = None
    close: bool = False
    # Work that needs the database before the frame can be answered (JT/T 808 registration): the
    # connection holds its input until this coroutine returns the real Outcome.
    deferred: Coroutine[Any, Any, Outcome] | None = None


class UnknownDeviceLog:
    """Count every unknown identifier (``GatewayCounters.unknown_devices``), and log them at most once per
    protocol per interval (a misconfigured fleet would otherwise flood the log)."""

    def __init__(self, counters: GatewayCounters, interval: float = 10.0) -> None:
        self.counters = counters
        self.interval = interval
        self._last: dict[str, float] = defaultdict(float)
        self._suppressed: dict[str, int] = defaultdict(int)

    def note(self, protocol: str, peer: str) -> None:
        self.counters.unknown_devices[protocol] += 1
        now = time.monotonic()
        if now - self._last[protocol] < self.interval:
            self._suppressed[protocol] += 1
            return
        more = self._suppressed.pop(protocol, 0)
        self._last[protocol] = now
        # The identifier itself is not logged: an IMEI or phone number is personal data once assigned.
        logger.warning(
            "gateway: unknown %s device from %s refused (%d more since last notice)", protocol, peer, more
        )
