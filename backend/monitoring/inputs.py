"""Monitoring's input schemas (``*In``): what the API validates and what the console's forms validate with
(``backend.console.forms.read_form``), kept outside ``api/`` so the console never imports an API module
(tests/core/test_api_layers.py).  Output schemas stay with their API routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field

from backend.core.http.types import Day, Id, Int64

# --- devices ----------------------------------------------------------------------------------------


class DeviceIn(Schema):
    jurisdiction_id: Id
    kind: Literal["tag", "phone", "watch"]
    protocol: Literal["osmand", "jt808", "gt06", "h02", "watch"]
    identifier: str | None = Field(
        None, max_length=32, description="IMEI 或 JT/T 808 终端手机号；OsmAnd 由系统生成"
    )
    model: str = Field("", max_length=64, description="型号（决定报警位的含义）")
    label: str = Field("", max_length=64)


class DevicePatch(Schema):
    model: str | None = Field(None, max_length=64)
    label: str | None = Field(None, max_length=64)


class DeviceAssignIn(Schema):
    person_id: Id


# --- zones ------------------------------------------------------------------------------------------


class WindowIn(Schema):
    weekday: int = Field(ge=0, le=6)
    start: str
    end: str


class ZoneIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["inclusion", "exclusion"]
    geometry: dict[str, Any] = Field(
        description='{"type": "circle", "lat", "lon", "radius_m"}、'
        '走廊 {"type": "corridor", "line": [[lon, lat], …], "width_m": 路线两侧各多少米} 或 GeoJSON Polygon/MultiPolygon'
    )
    person_id: Id | None = None
    layer_id: Id | None = None
    schedule: list[WindowIn] = []
    confirm_fixes: Int64 = 2
    confirm_seconds: Int64 = 60
    clear_fixes: Int64 = 2
    margin_m: float | None = Field(
        None,
        description="缓冲距离（米）；不填：允许区域按默认容差（150 米，且不超过区域等效半径的四分之一），禁止区域为 0",
    )


class ZonePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    geometry: dict[str, Any] | None = None
    schedule: list[WindowIn] | None = None
    confirm_fixes: Int64 | None = None
    confirm_seconds: Int64 | None = None
    clear_fixes: Int64 | None = None
    margin_m: float | None = Field(None, description="缓冲距离（米）；传 null 恢复默认容差")
    active: bool | None = None


# --- shared zone layers (共享区域图层) ------------------------------------------------------------------


class ZoneLayerIn(Schema):
    jurisdiction_id: Id
    name: str = Field(min_length=1, max_length=100)


class ZoneLayerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)


class LayerPersonsIn(Schema):
    """Add or remove many people at once: by record id (``person_ids``) or by ID number (``id_numbers``,
    matched by blind index, as pasted from a list).  One out of reach refuses the whole request."""

    action: Literal["add", "remove"] = Field("add", description="add：加入；remove：移出")
    person_ids: list[Id] = Field(default_factory=list, max_length=1000, description="档案编号")
    id_numbers: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=1000, description="证件号码（按盲索引匹配，不出现在网址中）"
    )


# --- electronic location orders (社区矫正法第二十九条) ---------------------------------------------------


class OrderIn(Schema):
    """提请: the officer's proposal; the county head decides it (``/approve`` or ``/refuse``)."""

    case_id: Id
    ground: str = Field(description="适用情形 1–5（社区矫正法第二十九条）", max_length=1)
    facts: str = Field(min_length=1, max_length=4000)
    starts_on: Day
    ends_on: Day
    notice_signed_on: Day
    procuratorate_copy_sent_on: Day | None = None


class RenewIn(Schema):
    new_end: Day
    reassessment: str = Field(min_length=1, max_length=4000)


class ApproveIn(Schema):
    note: str = Field("", max_length=2000, description="审批意见（可选）")


class RefuseIn(Schema):
    reason: str = Field(min_length=1, max_length=2000, description="不予批准的理由（必填）")


class EndIn(Schema):
    on: Day | None = None
    reason: str = Field(min_length=1, max_length=200)
