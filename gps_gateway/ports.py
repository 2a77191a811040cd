"""What the gateway is given at start: a device source and a fix sink, and the storage that holds both.

The gateway decodes, authenticates and acknowledges; it knows nothing of where devices are provisioned or
how fixes are stored (traccar's split: decoders produce positions, storage is somebody else's).
``manage.py rungateway`` hands ``run_gateway`` a factory for the Django-backed storage
(``backend.monitoring.ingest``), called in each worker process.  Every method is per connection or per
batch, never per fix: the per-fix path stays a dict lookup and a queue put.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Protocol, runtime_checkable

from gps_gateway.devices import DeviceInfo
from gps_gateway.rows import FixRow
from gps_gateway.stats import GatewayCounters


class Registration(Protocol):
    """The outcome of a JT/T 808 registration claim, as the session logs and answers it."""

    accepted: bool
    alerted: bool
    same_terminal: bool


@runtime_checkable
class DeviceSource(Protocol):
    """Provisioned devices, from memory on the per-fix path.  The blocking methods are called from a
    worker thread (``asyncio.to_thread``), never on the event loop."""

    def get(self, protocol: str, identifier: str) -> DeviceInfo | None:
        """The device with this stored identifier (``gps_gateway.identifiers``), from memory."""

    def sync(self, device: DeviceInfo) -> DeviceInfo | None:
        """Blocking: read the device again when a connection names it; None if it was retired."""

    def claim_registration(self, device_id: int, details: dict, digest: str) -> Registration:
        """Blocking: bind a JT/T 808 registration (auth code ``digest``), or have it refused."""

    def close_registration(self, device_id: int) -> None:
        """Blocking: the terminal authenticated with its provisioned code, so it is the registered one."""


@runtime_checkable
class FixSink(Protocol):
    """Durable storage of fixes in batches: a future per hand-over, resolved once the batch is committed
    (with one wake-up of the event loop per batch); nothing is acknowledged before that."""

    def enqueue(self, rows: list[FixRow], loop: asyncio.AbstractEventLoop) -> asyncio.Future | None:
        """Queue ``rows`` without waiting; a future of ``loop`` resolves after commit.  None when full."""

    async def write(self, rows: list[FixRow]) -> int:
        """Await until ``rows`` are committed (waits while the queue is full); raises if the commit failed."""


@runtime_checkable
class Storage(Protocol):
    """A worker process's device source and fix sink, and the upkeep around them.  Built in the process
    that serves (one per ``SO_REUSEPORT`` worker); every method but the attributes blocks."""

    devices: DeviceSource
    fixes: FixSink

    def load(self) -> int:
        """Load every device before the listeners open; returns how many."""

    def start(self) -> None:
        """Start committing fixes."""

    def upkeep(self) -> None:
        """Every ``refresh_interval``: reload what changed, write the devices' status, act on refusals."""

    def report(self, node: str, started: dt.datetime, counters: GatewayCounters) -> None:
        """Every ``stats_interval`` and at exit: keep the counters where the console reads them."""

    def close(self) -> None:
        """Commit what is queued and the devices' last status, then stop (SIGTERM)."""
