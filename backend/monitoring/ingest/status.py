"""The devices' last-seen, last-fix and battery, written from what a gateway worker saw (the device list
reads these).  Run on the writer's thread (``BatchWriter.call``): on SQLite's sleeping busy handler
instead, this UPDATE of every active device waited behind batch after batch, and a writer that took the
lock meanwhile slept on SQLite's lock in steps of up to 100 ms once the UPDATE held it."""

from __future__ import annotations

from django.db import connection, transaction

from backend.monitoring.models import Device
from gps_gateway.devices import DeviceInfo


def write_status(devices: list[DeviceInfo]) -> int:
    """One UPDATE per device, never backwards: the worker a device left may flush after the one it
    reconnected to, so a value older than the stored one is left out."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = []
    for d in devices:
        seen, fix = adapt(d.last_seen), adapt(d.newest_fix)
        rows.append((seen, seen, fix, fix, seen, d.battery_pct, d.id))
    table = connection.ops.quote_name(Device._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET "  # noqa: S608 (the name from the model)
            "last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < %s THEN %s ELSE last_seen_at END, "
            "last_fix_at = CASE WHEN last_fix_at IS NULL OR last_fix_at < %s THEN %s ELSE last_fix_at END, "
            "battery_pct = CASE WHEN last_seen_at IS NULL OR last_seen_at <= %s "
            "THEN COALESCE(%s, battery_pct) ELSE battery_pct END "
            "WHERE id = %s",
            rows,
        )
    return len(rows)
