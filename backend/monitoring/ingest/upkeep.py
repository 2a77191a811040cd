"""The gateway's periodic work beside the fixes: telling officers to remove tags whose order ended, and
keeping its counters where the console reads them."""

from __future__ import annotations

import datetime as dt

from django.db import close_old_connections
from django.utils import timezone

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.ingest.directory import DeviceDirectory
from backend.monitoring.models import AlertKind, Device, GatewayStats
from gps_gateway.stats import GatewayCounters


def tell_officers_to_remove_tags(directory: DeviceDirectory) -> int:
    """One alert per tag still reporting after its location order ended (repeats count on it)."""
    refused = directory.refused_tags()
    if not refused:
        return 0
    close_old_connections()
    for device in Device.objects.select_related("person").filter(
        pk__in=[d.id for d in refused], person__isnull=False
    ):
        # The order that ended is the person's latest; its case is the one the tag was worn under.
        order = device.person.location_orders.approved().select_related("case").first()
        raise_alert(
            kind=AlertKind.ORDER_ENDED_TAG, severity="high", person=device.person, device=device,
            case=order.case if order else None, subject=f"device:{device.pk}", details={"device": device.pk},
        )  # fmt: skip
    return len(refused)


def save_stats(node: str, started: dt.datetime, counters: GatewayCounters) -> None:
    close_old_connections()
    GatewayStats.objects.update_or_create(
        node=node,
        defaults={"updated_at": timezone.now(), "started_at": started, "counters": counters.snapshot()},
    )
