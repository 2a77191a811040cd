"""/api/v1/zone-layers: shared zone layers (共享区域图层) — a county's 禁入 places assigned to many people at
once.  A layer's zones are made with ``POST /zones`` and its ``layer_id``; who is on the layer here."""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.core.models import Jurisdiction
from backend.core.policy import require
from backend.monitoring.actions import layers as actions
from backend.monitoring.inputs import LayerPersonsIn, ZoneLayerIn, ZoneLayerPatch
from backend.monitoring.models import ZoneLayer
from backend.people.models import Person

router = Router(tags=["区域"])


class ZoneLayerOut(Schema):
    id: int
    jurisdiction_id: int
    name: str
    default_for_correction: bool = Field(description="自动适用于辖区内全部社区矫正对象（无需逐人加入）")
    zone_count: int = Field(description="图层中的区域数（含停用）")
    person_ids: list[int] = Field(description="图层中您可查看的人员")

    @staticmethod
    def resolve_person_ids(obj) -> list[int]:
        return sorted(p.pk for p in obj.persons.all())


class LayerPersonsOut(ZoneLayerOut):
    changed: int = Field(description="本次加入或移出的人数（已在图层中或本不在图层中的不计）")


def layers_of(request: HttpRequest):
    """The caller's layers, each with its zone count and only the people the caller may see."""
    return (
        ZoneLayer.objects.visible_to(request.auth)
        .annotate(zone_count=Count("zones"))
        .prefetch_related(Prefetch("persons", queryset=Person.objects.visible_to(request.auth).only("pk")))
    )


def _layer(request: HttpRequest, layer_id: Id) -> ZoneLayer:
    require(request.auth, "zone_layer.manage")
    return get_object_or_404(layers_of(request), pk=layer_id)  # out of reach → 404


@router.get("", response=Page[ZoneLayerOut], summary="共享区域图层列表")
def list_layers(request: HttpRequest, page: Query[CursorParams]):
    require(request.auth, "zone_layer.manage")
    return paginate(layers_of(request), page)


@router.post("", response={201: ZoneLayerOut}, summary="新建共享区域图层")
def create_layer(request: HttpRequest, payload: ZoneLayerIn):
    home = get_object_or_404(Jurisdiction.objects.visible_to(request.auth), pk=payload.jurisdiction_id)
    layer = actions.create_layer(by=request.auth, jurisdiction=home, name=payload.name)
    return Status(201, _layer(request, layer.pk))


@router.get("/{int:layer_id}", response=ZoneLayerOut, summary="共享区域图层详情")
def get_layer(request: HttpRequest, layer_id: Id):
    return _layer(request, layer_id)


@router.patch("/{int:layer_id}", response=ZoneLayerOut, summary="修改图层名称")
def update_layer(request: HttpRequest, layer_id: Id, payload: ZoneLayerPatch):
    layer = _layer(request, layer_id)
    if payload.name is not None:
        actions.rename_layer(by=request.auth, layer=layer, name=payload.name)
    return _layer(request, layer_id)


@router.post(
    "/{int:layer_id}/persons",
    response=LayerPersonsOut,
    summary="批量加入或移出人员（按档案编号或证件号码；任何一人不可查看则整体拒绝）",
)
def change_persons(request: HttpRequest, layer_id: Id, payload: LayerPersonsIn):
    layer = _layer(request, layer_id)
    people = actions.people_named(request.auth, person_ids=payload.person_ids, id_numbers=payload.id_numbers)
    if payload.action == "add":
        changed = actions.assign_people(by=request.auth, layer=layer, people=people)
    else:
        changed = actions.remove_people(by=request.auth, layer=layer, people=people)
    layer = _layer(request, layer_id)
    layer.changed = changed
    return layer
