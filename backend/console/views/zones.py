"""区域: draw and edit a zone on the map (circle, polygon, corridor along a route), its kind, schedule, margin
and confirmation settings; deactivate it.

The shape is drawn with Leaflet-Geoman (static/console/zones.js) and posted as JSON in the hidden field
``geometry`` — always WGS-84: on GCJ-02 tiles (CONSOLE_TILE_CRS=gcj02) the browser turns what was drawn
back with ``Anbang.gcj02ToWgs84`` before it is posted.  The form validates with the API's own inputs
(``backend/monitoring/inputs.py``: ``ZoneIn``, ``ZonePatch``) and writes through the same actions
(``backend/monitoring/actions/zones.py``: ``create_zone`` / ``update_zone``, which check the geometry and
schedule and write the audit row), so a refusal reads as the API's, beside its field.  Zones are location
data: office roles only (``zone.create`` / ``zone.update``, backend/monitoring/permissions.py).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backend.core.models import User
from backend.core.policy import may
from backend.core.rules import rules
from backend.monitoring.actions import zones as actions
from backend.monitoring.geo.shapes import MIN_CORRIDOR_WIDTH_M
from backend.monitoring.inputs import ZoneIn, ZonePatch
from backend.monitoring.models import Zone, ZoneKind, ZoneLayer
from backend.people.models import Person
from backend.people.queries import person_in_reach

from .. import maps
from ..conf import map_config
from ..forms import Form, form_page
from .common import act, staff_page

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")  # WindowIn.weekday 0–6, Monday first
SPARE_WINDOWS = 2  # empty schedule rows offered below the filled ones (zones.js adds more)
FIELDS = (
    "name",
    "kind",
    "geometry",
    "schedule",
    "margin_m",
    "confirm_fixes",
    "confirm_seconds",
    "clear_fixes",
)
DEFAULTS = {
    "kind": ZoneKind.INCLUSION, "confirm_fixes": 2, "confirm_seconds": 60, "clear_fixes": 2, "corridor_width": 50,
}  # fmt: skip


def denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "console/denied.html", {"message": message, "nav": "people"}, status=403)


def back_to(zone_or_owner: Zone | Person | ZoneLayer) -> str:
    """The page a zone belongs to: its person's page, or its shared layer's page."""
    if isinstance(zone_or_owner, Person):
        return reverse("console:person", args=[zone_or_owner.pk]) + "#zones"
    if isinstance(zone_or_owner, ZoneLayer):
        return _layer_url(zone_or_owner.pk)
    zone = zone_or_owner
    return back_to(zone.person) if zone.person_id else _layer_url(zone.layer_id)


def _layer_url(layer_id: int) -> str:
    return reverse("console:zone_layer", args=[layer_id])


def _windows(values: Any) -> list[dict[str, str]]:
    """The schedule rows the form shows: the values posted (or the zone's), then a few empty ones."""
    rows, i = [], 0
    get = getattr(values, "get", lambda _k: None)
    while any(get(f"schedule.{i}.{part}") for part in ("weekday", "start", "end")):
        rows.append(i)
        i += 1
    rows += list(range(i, i + SPARE_WINDOWS))
    return [
        {
            "weekday": f"schedule.{n}.weekday",
            "start": f"schedule.{n}.start",
            "end": f"schedule.{n}.end",
            "chosen": str(get(f"schedule.{n}.weekday") or ""),
        }
        for n in rows
    ]


def _current(zone: Zone) -> dict[str, Any]:
    """A zone's values as the form names them (``schedule.0.start``), for the edit form on GET."""
    values: dict[str, Any] = {
        "name": zone.name, "kind": zone.kind, "geometry": json.dumps(zone.geometry),
        "margin_m": "" if zone.margin_m is None else f"{zone.margin_m:g}", "confirm_fixes": zone.confirm_fixes,
        "confirm_seconds": zone.confirm_seconds, "clear_fixes": zone.clear_fixes,
        "active": "on" if zone.active else "",
        "corridor_width": zone.geometry.get("width_m", DEFAULTS["corridor_width"]),
    }  # fmt: skip
    for i, window in enumerate(zone.schedule or []):
        values.update({f"schedule.{i}.{k}": str(window.get(k, "")) for k in ("weekday", "start", "end")})
    return values


def _context_zones(user: User, owner: Person | ZoneLayer, editing: Zone | None) -> list[dict]:
    """The other zones drawn read-only beside the one being drawn: the person's (their own, their layers',
    the county's default), or the layer's."""
    if isinstance(owner, Person):
        zones = maps.zones_for(owner, user)
    else:
        layer_zones = Zone.objects.visible_to(user).filter(layer=owner, active=True).order_by("id")
        zones = [maps.map_feature(z) for z in layer_zones]
    return [z for z in zones if editing is None or z["id"] != editing.pk]


def _page(
    request: HttpRequest,
    *,
    owner: Person | ZoneLayer,
    zone: Zone | None,
    schema: type,
    run,
    done: str,
    initial: dict[str, Any],
) -> HttpResponse:
    values = request.POST if request.method == "POST" else initial
    context = {
        "owner": owner, "person": owner if isinstance(owner, Person) else None,
        "layer": owner if isinstance(owner, ZoneLayer) else None, "zone": zone, "kinds": ZoneKind.choices,
        "weekdays": list(enumerate(WEEKDAYS)), "windows": _windows(values), "back": back_to(zone or owner),
        "max_width": f"{rules().zone_corridor_max_width_m:g}", "min_width": f"{MIN_CORRIDOR_WIDTH_M:g}",
        "map_data": {
            "zones": _context_zones(request.user, owner, zone), "config": map_config().as_dict(),
            # Nothing else to open on (a first zone): the map opens on the residence, not on all of China.
            "home": owner.residence_point if isinstance(owner, Person) else None,
        },
        "nav": "people",
    }  # fmt: skip
    return form_page(
        request,
        Form(
            template="console/zone_edit.html",
            context=context,
            schema=schema,
            run=run,
            done=done,
            fields=(*FIELDS, "active"),
            json_fields=("geometry",),
            skip=("corridor_width",),
            checkboxes=("active",) if zone is not None else (),
            initial=initial,
        ),
    )


def _new_zone(request: HttpRequest, owner: Person | ZoneLayer) -> HttpResponse:
    user = request.user
    if not may(user, "zone.create"):
        return denied(request, "无权设置区域")

    def run(payload: ZoneIn) -> str:
        values = payload.dict(exclude={"person_id", "layer_id"})
        place = {"person": owner} if isinstance(owner, Person) else {"layer": owner}
        zone = actions.create_zone(by=user, jurisdiction=owner.jurisdiction, **place, **values)
        return back_to(zone)

    return _page(
        request, owner=owner, zone=None, schema=ZoneIn, run=run, done="已保存区域", initial=dict(DEFAULTS)
    )


@staff_page
def new_person_zone_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """新建区域 for one person (their home, their county, a place they must not enter …)."""
    return _new_zone(request, person_in_reach(request.user, person_id))  # out of reach → 404


@staff_page
def new_layer_zone_page(request: HttpRequest, layer_id: int) -> HttpResponse:
    """新建区域 in a shared layer (a county's 禁入 places, applying to everyone assigned to the layer)."""
    layer = get_object_or_404(
        ZoneLayer.objects.visible_to(request.user).select_related("jurisdiction"), pk=layer_id
    )
    return _new_zone(request, layer)


def _zone_in_reach(user: User, zone_id: int) -> Zone:
    return get_object_or_404(
        Zone.objects.visible_to(user).select_related("person", "layer", "person__jurisdiction"), pk=zone_id
    )


@staff_page
def edit_zone_page(request: HttpRequest, zone_id: int) -> HttpResponse:
    """修改区域: the shape is loaded into the editor; kind stays as created (ZonePatch has none: a
    place to stay in does not become a place to keep out of — draw a new zone)."""
    user = request.user
    zone = _zone_in_reach(user, zone_id)
    if not may(user, "zone.update"):
        return denied(request, "无权修改区域")
    owner = zone.person if zone.person_id else zone.layer

    def run(payload: ZonePatch) -> str:
        values = payload.dict(exclude_unset=True)
        # The form always shows these: an empty margin is the default tolerance, no rows is "always".
        values.setdefault("margin_m", None)
        values.setdefault("schedule", [])
        actions.update_zone(by=user, zone=zone, **values)
        return back_to(zone)

    return _page(
        request, owner=owner, zone=zone, schema=ZonePatch, run=run, done="已保存区域", initial=_current(zone)
    )


@staff_page
@require_POST
def deactivate_zone(request: HttpRequest, zone_id: int) -> HttpResponse:
    """停用: the zone stops applying at once (the zone watch reloads it); kept, audited, can be re-enabled."""
    zone = _zone_in_reach(request.user, zone_id)
    return act(
        request,
        back_to(zone),
        lambda: actions.update_zone(by=request.user, zone=zone, active=False),
        "已停用区域",
    )
