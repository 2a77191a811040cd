"""The Monitoring read side, for the API, the console and the reports alike: when a device counts as online,
and a zone as the GeoJSON Feature every map and the zones API draw."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from backend.monitoring.models import Zone
from backend.monitoring.models.device import ONLINE_MINUTES

# The device list's filter by status (在线 / 离线 / 从未上线), from the last message of any kind.
DEVICE_STATUSES = ("online", "offline", "never")


def online_since(now: dt.datetime | None = None) -> dt.datetime:
    """A device last heard from at or after this moment is online."""
    return (now or timezone.now()) - dt.timedelta(minutes=ONLINE_MINUTES)


def device_status_q(status: str, since: dt.datetime) -> Q:
    """Devices in ``status`` (one of ``DEVICE_STATUSES``), as ``Device.status`` tells one device's."""
    return {
        "never": Q(last_seen_at__isnull=True),
        "online": Q(last_seen_at__gte=since),
        "offline": Q(last_seen_at__lt=since),
    }[status]


def feature(zone: Zone) -> dict:
    """A GeoJSON Feature; a circle travels as a Point with its radius in the properties, a corridor as its
    route (a LineString) with its width (metres either side) in the properties."""
    geometry = zone.geometry
    radius = width = None
    if geometry.get("type") == "circle":
        geometry = {"type": "Point", "coordinates": [geometry["lon"], geometry["lat"]]}
        radius = zone.geometry["radius_m"]
    elif geometry.get("type") == "corridor":
        geometry = {"type": "LineString", "coordinates": geometry["line"]}
        width = zone.geometry["width_m"]
    return {
        "type": "Feature",
        "id": zone.pk,
        "geometry": geometry,
        "properties": {
            "name": zone.name, "kind": zone.kind, "person_id": zone.person_id, "layer_id": zone.layer_id,
            "radius_m": radius, "width_m": width, "schedule": zone.schedule, "confirm_fixes": zone.confirm_fixes,
            "confirm_seconds": zone.confirm_seconds, "clear_fixes": zone.clear_fixes, "margin_m": zone.margin_m,
            "active": zone.active,
        },
    }  # fmt: skip
