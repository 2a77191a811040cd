"""Data for the console's Leaflet maps: a person's zones (as the zones API's GeoJSON features) and fixes.

Coordinates stay WGS-84 here; console.js shifts them to GCJ-02 only for display when the configured
tiles need it (conf.py).
"""

from __future__ import annotations

import datetime as dt

from backend.core.http.pagination import first_in_order
from backend.core.models import User
from backend.core.policy import may
from backend.monitoring.breach import Breach, Point, last_breach
from backend.monitoring.geo.shapes import Corridor, GeometryError
from backend.monitoring.models import Alert, AlertKind, Position, Zone
from backend.monitoring.queries import feature
from backend.people.models import Person

TRACK_LIMIT = 5000  # a day of fixes every 20 s; more is thinned out by the period the officer picks


def may_see_locations(user: User) -> bool:
    """Location data is for the correction office only (社区矫正法 Art. 29), as in the track API."""
    return may(user, "person.read_track")


def zones_for(person: Person, user: User) -> list[dict]:
    """The person's own zones, their layers' zones and the county layers that apply by default."""
    zones = Zone.objects.visible_to(user, of=person).applying_to(person).filter(active=True).order_by("id")
    return [map_feature(z) for z in zones]


def map_feature(zone: Zone) -> dict:
    """The zones API's feature; a corridor also carries its ``outline``: the area judged (route buffered by
    its width in the local projection, shapes.Corridor), which the browser cannot compute in metres."""
    result = feature(zone)
    if zone.geometry.get("type") == "corridor":
        try:
            result["properties"]["outline"] = Corridor(zone.geometry).outline()
        except GeometryError:
            pass  # an unusable stored route: its line is still drawn
    return result


def fixes(
    person: Person, start: dt.datetime, end: dt.datetime, *, seen_by: User, limit: int = TRACK_LIMIT
) -> list[dict]:
    rows = _first_fixes(
        person,
        seen_by,
        {"fix_time__gte": start, "fix_time__lt": end},
        ("fix_time", "pk"),
        limit,
    )
    return [_fix(p) for p in rows]


def recent_fixes(person: Person, around: dt.datetime, *, seen_by: User, limit: int = 50) -> list[dict]:
    """The last fixes up to an alert's last sighting (a few after, in case the device resent late ones)."""
    rows = _first_fixes(
        person,
        seen_by,
        {"fix_time__lte": around + dt.timedelta(minutes=30)},
        ("-fix_time", "-pk"),
        limit,
    )
    return [_fix(p) for p in reversed(rows)]


def _first_fixes(person: Person, reader: User, filters: dict, order: tuple[str, ...], limit: int) -> list:
    """The person's first ``limit`` located fixes in ``order`` that ``reader`` may see (not another
    wearer's out of reach): one ordered read per device worn, merged."""
    return first_in_order(
        [
            # An impossible jump (stored flagged) is not drawn as track: the line would cross the map.
            device.filter(point__isnull=False, implausible=False, **filters).only(*_FIX_FIELDS)
            for device in Position.objects.of_person_by_device(person, seen_by=reader)
        ],
        order,
        limit,
    )


_FIX_FIELDS = ("point", "fix_time", "late", "archive", "alarms", "accuracy_m")


def _fix(p: Position) -> dict:
    return {"lat": p.point[0], "lon": p.point[1], "t": p.fix_time.isoformat(), "late": p.late or p.archive,
            "alarms": p.alarms, "acc": p.accuracy_m}  # fmt: skip


def breached_zone(
    alert: Alert, person: Person, user: User, fixes: list[dict]
) -> tuple[Zone, Breach | None] | None:
    """A zone alert's zone (if the user may see it) and the last of ``fixes`` confidently breaching it."""
    if alert.kind not in (AlertKind.ZONE_EXIT, AlertKind.ZONE_ENTRY):
        return None
    zone_id = alert.details.get("zone")
    if not isinstance(zone_id, int):
        return None
    zone = Zone.objects.visible_to(user, of=person).filter(pk=zone_id).first()
    if zone is None:
        return None
    points = [Point(f["lat"], f["lon"], f.get("acc"), dt.datetime.fromisoformat(f["t"])) for f in fixes]
    return zone, last_breach(zone, points)
