"""/api/v1/zones (GeoJSON in and out) and /api/v1/persons/{id}/track (GeoJSON, cursor pages, audited)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.http.pagination import CursorParams, paginate, paginate_by_time
from backend.core.http.types import Id, Moment
from backend.core.policy import require
from backend.monitoring.actions import zones as actions
from backend.monitoring.inputs import ZoneIn, ZonePatch
from backend.monitoring.models import Position, Zone, ZoneLayer
from backend.monitoring.queries import feature
from backend.people.models import Person

router = Router(tags=["区域"])
track_router = Router(tags=["轨迹"])


def _zone(request: HttpRequest, zone_id: Id) -> Zone:
    return get_object_or_404(Zone.objects.visible_to(request.auth), pk=zone_id)


@router.get("", summary="区域（GeoJSON FeatureCollection）")
def list_zones(request: HttpRequest, page: Query[CursorParams], person_id: Id | None = None):
    queryset = Zone.objects.visible_to(request.auth)
    if person_id is not None:
        queryset = queryset.filter(person_id=person_id)
    result = paginate(queryset, page)
    record_audit(
        actor=request.auth, action=AuditAction.ZONE_LIST, details={"ids": [z.pk for z in result["items"]]}
    )
    return {
        "type": "FeatureCollection",
        "features": [feature(z) for z in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@router.post("", response={201: dict}, summary="新建区域")
def create_zone(request: HttpRequest, payload: ZoneIn):
    person = layer = None
    if payload.person_id is not None:
        person = get_object_or_404(Person.objects.visible_to(request.auth), pk=payload.person_id)
        jurisdiction = person.jurisdiction
    elif payload.layer_id is not None:
        layer = get_object_or_404(
            ZoneLayer.objects.filter(jurisdiction__path__startswith=request.auth.jurisdiction.path),
            pk=payload.layer_id,
        )
        jurisdiction = layer.jurisdiction
    else:
        raise Invalid("区域须属于一名人员（person_id）或一个共享图层（layer_id）", {"field": "person_id"})
    values = payload.dict(exclude={"person_id", "layer_id"})
    zone = actions.create_zone(
        by=request.auth, jurisdiction=jurisdiction, person=person, layer=layer, **values
    )
    return Status(201, feature(zone))


@router.get("/{int:zone_id}", summary="区域详情（GeoJSON Feature，读取留痕）")
def get_zone(request: HttpRequest, zone_id: Id):
    zone = _zone(request, zone_id)
    record_audit(actor=request.auth, action=AuditAction.ZONE_READ, target=zone)
    return feature(zone)


@router.patch("/{int:zone_id}", summary="修改区域（停用：active=false）")
def update_zone(request: HttpRequest, zone_id: Id, payload: ZonePatch):
    values = payload.dict(exclude_unset=True)
    return feature(actions.update_zone(by=request.auth, zone=_zone(request, zone_id), **values))


class TrackQuery(CursorParams):
    from_: Moment = Field(alias="from")
    to: Moment


@track_router.get("/{int:person_id}/track", summary="人员轨迹（GeoJSON，按时间分页，读取留痕）")
def track(request: HttpRequest, person_id: Id, period: Query[TrackQuery]):
    require(request.auth, "person.read_track")
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=person_id)
    if period.to <= period.from_ or period.to - period.from_ > dt.timedelta(days=93):
        raise Invalid("时间范围须为 93 天以内且结束晚于开始", {"field": "to"})
    positions = [
        device.filter(fix_time__gte=period.from_, fix_time__lt=period.to, point__isnull=False)
        for device in Position.objects.of_person_by_device(person, seen_by=request.auth)
    ]
    page = paginate_by_time(positions, period, "fix_time")
    record_audit(
        actor=request.auth, action=AuditAction.PERSON_READ_TRACK, target=person,
        details={"from": period.from_.isoformat(), "to": period.to.isoformat(), "points": len(page["items"])},
    )  # fmt: skip
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.point[1], p.point[0]]},
            "properties": {
                "fix_time": p.fix_time.isoformat(),
                "accuracy_m": p.accuracy_m,
                "speed_kmh": p.speed_kmh,
                "device_id": p.device_id,
                "late": p.late,
                "archive": p.archive,
                "implausible": p.implausible,  # an impossible jump: not part of the track (docs/monitoring.md)
                "alarms": p.alarms,
            },
        }
        for p in page["items"]
    ]
    return {"type": "FeatureCollection", "features": features, "next_cursor": page["next_cursor"]}
