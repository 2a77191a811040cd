"""The gateway's in-memory view of provisioned devices, so the per-fix path never queries the database.

Loaded at start, refreshed every few seconds from ``Device.updated_at`` (provisioning, assignment and
retirement reach the gateway within ``refresh_seconds``).  Lookups of unknown identifiers are answered
from memory too: an unprovisioned tracker hammering the port costs a dict miss, not a query.  This is the
gateway's device source (``gps_gateway.ports.DeviceSource``).
"""

from __future__ import annotations

import datetime as dt
import threading

from django.db import close_old_connections
from django.utils import timezone

from backend.monitoring.actions.registration import Registration, close_registration, register_terminal
from backend.monitoring.ingest.status import write_status
from backend.monitoring.models import Device, LocationOrder, Position
from gps_gateway.devices import DeviceInfo


class DeviceDirectory:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], DeviceInfo] = {}
        self._lock = threading.Lock()
        self._since: dt.datetime | None = None

    def get(self, protocol: str, identifier: str) -> DeviceInfo | None:
        return self._by_key.get((protocol, identifier))

    def __len__(self) -> int:
        return len(self._by_key)

    def refresh(self) -> int:
        """Load devices changed since the last refresh (all on the first call).  Returns how many."""
        close_old_connections()
        started = timezone.now()
        rows = Device.objects.all()
        if self._since is not None:
            rows = rows.filter(updated_at__gte=self._since - dt.timedelta(seconds=2))
        count = 0
        fields = (
            "id",
            "protocol",
            "identifier",
            "model",
            "person_id",
            "auth_code_digest",
            "retired_at",
            "last_fix_at",
            "kind",
        )
        devices = list(rows.only(*fields))
        orders = order_limits({d.person_id for d in devices if d.kind == "tag" and d.person_id})
        with self._lock:
            for device in devices:
                key = (device.protocol, device.identifier)
                if device.retired_at is not None:
                    self._by_key.pop(key, None)
                    continue
                current = self._by_key.get(key)
                if current is None:
                    current = self._by_key[key] = DeviceInfo(
                        device.id, device.protocol, device.identifier, device.model, device.person_id,
                        device.auth_code_digest, newest_fix=device.last_fix_at,
                    )  # fmt: skip
                else:
                    current.model, current.person_id = device.model, device.person_id
                    current.auth_code_digest = device.auth_code_digest
                current.kind = device.kind
                current.order_until = orders.get(device.person_id) if device.kind == "tag" else None
                count += 1
        self._since = started
        return count

    def claim_registration(self, device_id: int, details: dict, digest: str) -> Registration:
        """JT/T 808: bind the registration in the database, or have it refused there (counted, alerted on
        repeats; ``backend.monitoring.actions.registration``).  From a worker thread."""
        close_old_connections()
        return register_terminal(
            device_id=device_id, maker=str(details.get("maker", "")), model=str(details.get("model", "")),
            terminal_id=str(details.get("terminal_id", "")), code_digest=digest,
        )  # fmt: skip

    def close_registration(self, device_id: int) -> None:
        """JT/T 808: the terminal authenticated with its provisioned code, so it is the registered one."""
        close_old_connections()
        close_registration(device_id)

    def sync(self, device: DeviceInfo) -> DeviceInfo | None:
        """Read one device again when a connection names it, before anything from that connection is
        judged.  The kernel hands each new connection to any of the worker processes (``SO_REUSEPORT``),
        each with its own directory, so the worker a device reconnects to may not have seen what another
        worker did meanwhile: an auth code issued there (JT/T 808 registration), or fixes stored there,
        against which this worker must flag the next older fix ``late``.  Two indexed reads per
        connection (three for a worn tag: its location order); the fixes themselves never wait for the
        database.  None if the device was retired."""
        close_old_connections()
        row = (
            Device.objects.filter(pk=device.id)
            .values("auth_code_digest", "model", "person_id", "kind", "retired_at", "registered_at")
            .first()
        )
        if row is None or row["retired_at"] is not None:
            with self._lock:
                self._by_key.pop((device.protocol, device.identifier), None)
            return None
        stored = (
            Position.objects.filter(device_id=device.id)
            .order_by("-fix_time")
            .values_list("fix_time", flat=True)
            .first()
        )
        wearer = row["person_id"] if row["kind"] == "tag" else None
        order_until = order_limits({wearer}).get(wearer) if wearer is not None else None
        with self._lock:
            device.auth_code_digest, device.model = row["auth_code_digest"], row["model"]
            device.kind, device.person_id, device.order_until = row["kind"], row["person_id"], order_until
            device.registered = row["registered_at"] is not None
            if stored is not None and (device.newest_fix is None or stored > device.newest_fix):
                device.newest_fix = stored
        return device

    def refused_tags(self) -> list[DeviceInfo]:
        """Tags whose fixes were refused for want of a location order since the last call."""
        with self._lock:
            refused = [d for d in self._by_key.values() if d.refused_without_order]
            for device in refused:
                device.refused_without_order = 0
        return refused

    def dirty_devices(self) -> list[DeviceInfo]:
        with self._lock:
            dirty = [d for d in self._by_key.values() if d.dirty]
            for device in dirty:
                device.dirty = False
        return dirty

    def flush_status(self) -> int:
        """Write last-seen, last-fix and battery of devices that changed (the device list reads these).
        Each worker writes what it saw; a value older than the stored one is left out.  A job for the
        writer's thread (``BatchWriter.call``), which holds the write lock while it runs."""
        dirty = self.dirty_devices()
        if not dirty:
            return 0
        close_old_connections()
        return write_status(dirty)


def order_limits(person_ids: set[int]) -> dict[int, dt.date]:
    """Per person, the last day an electronic location order (Art. 29) allows a tag to report: the latest
    ``LocationOrder.last_day`` of the approved orders begun by today (the one in-force rule, ``in_force_q``:
    a proposal allows nothing until the county head approves it)."""
    if not person_ids:
        return {}
    today = timezone.localdate()
    limits: dict[int, dt.date] = {}
    begun = LocationOrder.objects.approved().filter(person_id__in=person_ids, starts_on__lte=today)
    for order in begun.only("person_id", "ends_on", "ended_early_on"):
        last = order.last_day
        limits[order.person_id] = max(limits.get(order.person_id, last), last)
    return limits
