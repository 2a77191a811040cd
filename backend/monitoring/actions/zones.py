"""Defining zones: validated geometry (Chinese messages), sane settings, audited changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.core.rules import rules
from backend.monitoring.geo.schedule import WeeklyWindow
from backend.monitoring.geo.shapes import Corridor, GeometryError
from backend.monitoring.models import Zone, ZoneKind, ZoneLayer
from backend.monitoring.zone_watch import shape_of
from backend.people.models import Person

EDITABLE = (
    "name",
    "kind",
    "geometry",
    "schedule",
    "confirm_fixes",
    "confirm_seconds",
    "clear_fixes",
    "margin_m",
    "active",
)

# Fields a caller may set back to None: the margin's None is the default tolerance (zone_watch.margin_of).
RESETTABLE = ("margin_m",)


def check_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """The geometry as stored, or Invalid with the reason in Chinese (nothing is saved).  A corridor drawn
    now is also held to rules().zone_corridor_max_width_m (a stored one is judged whatever the rule)."""
    try:
        shape = shape_of(geometry)
    except GeometryError as exc:
        raise Invalid(
            exc.message_zh, {"field": "geometry", **{k: v for k, v in exc.details.items() if k == "code"}}
        ) from None
    except (KeyError, TypeError, ValueError):
        raise Invalid(
            "区域形状须为圆形 {type: circle, lat, lon, radius_m}、走廊 {type: corridor, line, width_m} 或 GeoJSON 多边形",
            {"field": "geometry"},
        ) from None
    limit = rules().zone_corridor_max_width_m
    if isinstance(shape, Corridor) and shape.width_m > limit:
        raise Invalid(
            f"走廊宽度（距路线的距离）最多 {limit:g} 米", {"field": "geometry", "code": "width_out_of_range"}
        )
    return geometry


def check_schedule(windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        for w in windows:
            WeeklyWindow(
                int(w["weekday"]), dt.time.fromisoformat(w["start"]), dt.time.fromisoformat(w["end"])
            )
    except (KeyError, TypeError, ValueError):
        raise Invalid(
            '时段须为 [{weekday: 0–6（周一为 0）, start: "22:00", end: "06:00"}, …]', {"field": "schedule"}
        ) from None
    return windows


def _check(values: dict[str, Any]) -> None:
    if "kind" in values and values["kind"] not in ZoneKind.values:
        raise Invalid("区域类型须为 inclusion（允许区域）或 exclusion（禁止区域）", {"field": "kind"})
    if "geometry" in values:
        check_geometry(values["geometry"])
    if "schedule" in values:
        check_schedule(values["schedule"] or [])
    for field, low, high in (("confirm_fixes", 1, 20), ("clear_fixes", 1, 20), ("confirm_seconds", 0, 3600)):
        if field in values and not low <= int(values[field]) <= high:
            raise Invalid(f"{field} 应在 {low} 到 {high} 之间", {"field": field})
    if values.get("margin_m") is not None and not 0 <= float(values["margin_m"]) <= 5000:
        raise Invalid("缓冲距离应在 0 到 5000 米之间", {"field": "margin_m"})


def create_zone(
    *,
    by: User,
    jurisdiction: Jurisdiction,
    person: Person | None = None,
    layer: ZoneLayer | None = None,
    **values: Any,
) -> Zone:
    require(by, "zone.create")
    if (person is None) == (layer is None):
        raise Invalid(
            "区域须属于一名人员（person_id）或一个共享图层（layer_id），二者选一", {"field": "person_id"}
        )
    _check(values)
    with transaction.atomic():
        zone = Zone.objects.create(jurisdiction=jurisdiction, person=person, layer=layer, **values)
        record_audit(
            actor=by,
            action=AuditAction.ZONE_CREATE,
            target=zone,
            details={"kind": zone.kind, "person": person.pk if person else None},
        )
    return zone


def update_zone(*, by: User, zone: Zone, **values: Any) -> Zone:
    require(by, "zone.update")
    # None leaves a field as it is, except the margin, where None means "the default" (rules()).
    values = {k: v for k, v in values.items() if k in EDITABLE and (v is not None or k in RESETTABLE)}
    _check(values)
    with transaction.atomic():
        for key, value in values.items():
            setattr(zone, key, value)
        zone.save()
        record_audit(
            actor=by, action=AuditAction.ZONE_UPDATE, target=zone, details={"fields": sorted(values)}
        )
    return zone
