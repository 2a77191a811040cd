"""The gateway's in-memory view of provisioned devices, so the per-fix path never queries the database.

Loaded at start, refreshed every few seconds from ``Device.updated_at`` (provisioning, assignment and
retirement reach the gateway within ``refresh_seconds``).  Lookups of unknown identifiers are answered
from memory too: an unprovisioned tracker hammering the port costs a dict miss, not a query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils import timezone

from gps_gateway.filters import LastPoint
from gps_gateway.writer import WriteLock


@dataclass
class DeviceInfo:
    id: int
    protocol: str
    identifier: str
    model: str
    person_id: int | None
    auth_code_digest: str
    newest_fix: dt.datetime | None = None
    last_point: LastPoint | None = None
    last_seen: dt.datetime | None = None
    battery_pct: int | None = None
    dirty: bool = False  # last_seen/last_fix/battery changed since the last flush
    kind: str = ""
    # For a tag worn by a person: the last day its location order allows (None: no order at all).
    order_until: dt.date | None = None
    refused_without_order: int = 0  # fixes refused since the officer was last told to remove the tag
    registered: bool = False  # JT/T 808: a terminal is bound to it (read by ``sync``)


def osmand_digest(identifier: str) -> str:
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()


def normalize_identifier(protocol: str, identifier: str) -> str:
    """How each protocol's identifier is stored: JT/T 808 phones without leading zeros (decoders do the
    same), OsmAnd ids as their SHA-256 (the id is a credential), IMEIs as digits."""
    identifier = identifier.strip()
    if protocol == "jt808":
        return identifier.lstrip("0") or "0"
    if protocol == "osmand":
        return osmand_digest(identifier)
    return identifier


class DeviceDirectory:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], DeviceInfo] = {}
        self._lock = threading.Lock()
        self._since: dt.datetime | None = None
        # The writers' lock, on a descriptor of its own (one shared with a writer would not exclude it).
        self._flush_lock = WriteLock.for_connection()

    def get(self, protocol: str, identifier: str) -> DeviceInfo | None:
        return self._by_key.get((protocol, identifier))

    def __len__(self) -> int:
        return len(self._by_key)

    def refresh(self) -> int:
        """Load devices changed since the last refresh (all on the first call).  Returns how many."""
        from backend.monitoring.models import Device

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

    def claim_registration(self, device_id: int, details: dict, digest: str):
        """JT/T 808: bind the registration in the database, or have it refused there (counted, alerted on
        repeats; ``backend.monitoring.actions.registration``).  From a worker thread."""
        from backend.monitoring.actions.registration import register_terminal

        close_old_connections()
        return register_terminal(
            device_id=device_id, maker=str(details.get("maker", "")), model=str(details.get("model", "")),
            terminal_id=str(details.get("terminal_id", "")), code_digest=digest,
        )  # fmt: skip

    def close_registration(self, device_id: int) -> None:
        """JT/T 808: the terminal authenticated with its provisioned code, so it is the registered one."""
        from backend.monitoring.actions.registration import close_registration

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
        from backend.monitoring.models import Device, Position

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
        Each worker writes what it saw; a value older than the stored one is left out."""
        from django.db import connection, transaction

        dirty = self.dirty_devices()
        if not dirty:
            return 0
        close_old_connections()
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for d in dirty:
            seen, fix = adapt(d.last_seen), adapt(d.newest_fix)
            rows.append((seen, seen, fix, fix, seen, d.battery_pct, d.id))
        # Queued with the writers' batches on their lock: on SQLite's sleeping busy handler instead, this
        # UPDATE of every active device waited behind batch after batch, and a writer that took the lock
        # meanwhile slept on SQLite's lock in steps of up to 100 ms once the UPDATE held it.
        with (
            self._flush_lock or contextlib.nullcontext(),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            # Never backwards: the worker a device left may flush after the one it reconnected to.
            cursor.executemany(
                "UPDATE monitoring_device SET "
                "last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < %s THEN %s ELSE last_seen_at END, "
                "last_fix_at = CASE WHEN last_fix_at IS NULL OR last_fix_at < %s THEN %s ELSE last_fix_at END, "
                "battery_pct = CASE WHEN last_seen_at IS NULL OR last_seen_at <= %s "
                "THEN COALESCE(%s, battery_pct) ELSE battery_pct END "
                "WHERE id = %s",
                rows,
            )
        return len(rows)


def order_limits(person_ids: set[int]) -> dict[int, dt.date]:
    """Per person, the last day an electronic location order (Art. 29) allows a tag to report."""
    from backend.monitoring.models import LocationOrder

    if not person_ids:
        return {}
    today = timezone.localdate()
    limits: dict[int, dt.date] = {}
    for order in LocationOrder.objects.filter(person_id__in=person_ids, starts_on__lte=today):
        last = order.ends_on if order.ended_early_on is None else order.ended_early_on - dt.timedelta(days=1)
        limits[order.person_id] = max(limits.get(order.person_id, last), last)
    return limits
