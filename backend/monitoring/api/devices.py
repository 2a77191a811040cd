"""/api/v1/devices and /api/v1/gateway/stats."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.http.pagination import CursorParams, Page, paginate, paginate_by_time
from backend.core.http.types import Id, Moment
from backend.core.models import Jurisdiction
from backend.core.policy import require
from backend.monitoring.actions import devices as actions
from backend.monitoring.actions.registration import reset_registration
from backend.monitoring.device_setup import setup_text
from backend.monitoring.inputs import DeviceAssignIn, DeviceIn, DevicePatch
from backend.monitoring.models import Device, GatewayStats, Position
from backend.monitoring.queries import device_status_q, online_since
from backend.people.models import Person

router = Router(tags=["定位设备"])
gateway_router = Router(tags=["定位网关"])


class DeviceOut(Schema):
    id: int
    jurisdiction_id: int
    kind: str
    protocol: str
    identifier: str | None
    model: str
    label: str
    person_id: int | None
    assigned_at: dt.datetime | None
    weak_auth: bool
    status: str
    last_seen_at: dt.datetime | None
    last_fix_at: dt.datetime | None
    battery_pct: int | None
    registered_at: dt.datetime | None
    registered_maker: str = Field(description="JT/T 808：首次注册时终端报告的制造商 ID（此后重复注册被拒）")
    registered_model: str = Field(description="JT/T 808：首次注册时的终端型号")
    registered_terminal_id: str = Field(description="JT/T 808：首次注册时的终端 ID")
    refused_registrations: int = Field(description="当前统计窗口内被拒的重复注册次数")

    @staticmethod
    def resolve_identifier(obj) -> str | None:
        return None if obj.protocol == "osmand" else obj.identifier  # only the hash is kept for OsmAnd

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.status()


class ProvisionedOut(DeviceOut):
    credential: str | None = Field(description="OsmAnd 设备标识或 JT/T 808 鉴权码，仅此一次显示")
    setup: str | None = Field(
        None,
        description="手机或终端的配置内容（二维码内容）：OsmAnd 为 http://网关:端口/?id=标识；"
        "JT/T 808 为 jt808://网关:端口?phone=终端手机号&auth=鉴权码；含凭据，仅此一次显示",
    )


class DeviceFilters(Schema):
    protocol: str | None = None
    kind: str | None = None
    person_id: Id | None = None
    status: Literal["online", "offline", "never"] | None = None


class PositionOut(Schema):
    id: int
    fix_time: dt.datetime
    received_at: dt.datetime
    lat: float | None
    lon: float | None
    valid: bool
    source: str
    accuracy_m: float | None
    speed_kmh: float | None
    course: float | None
    altitude_m: float | None
    satellites: int | None
    battery_pct: int | None
    alarms: list[str]
    late: bool
    archive: bool
    implausible: bool = Field(description="异常跳变：相对上一个可信定位点不可能到达；不参与区域判断")

    @staticmethod
    def resolve_lat(obj) -> float | None:
        return obj.point[0] if obj.point else None

    @staticmethod
    def resolve_lon(obj) -> float | None:
        return obj.point[1] if obj.point else None

    @staticmethod
    def resolve_alarms(obj) -> list[str]:
        return [a for a in obj.alarms.split(",") if a]


class PositionRange(CursorParams):
    from_: Moment = Field(alias="from")
    to: Moment


def _device(request: HttpRequest, device_id: Id) -> Device:
    require(request.auth, "device.manage")
    return get_object_or_404(Device.objects.visible_to(request.auth), pk=device_id)


@router.get("", response=Page[DeviceOut], summary="设备列表（最后定位、电量、在线状态）")
def list_devices(request: HttpRequest, filters: Query[DeviceFilters], page: Query[CursorParams]):
    require(request.auth, "device.manage")
    queryset = Device.objects.visible_to(request.auth).filter(retired_at__isnull=True)
    for key in ("protocol", "kind", "person_id"):
        if getattr(filters, key) is not None:
            queryset = queryset.filter(**{key: getattr(filters, key)})
    if filters.status is not None:
        queryset = queryset.filter(device_status_q(filters.status, online_since()))
    return paginate(queryset, page)


@router.post("", response={201: ProvisionedOut}, summary="登记设备")
def provision(request: HttpRequest, payload: DeviceIn):
    require(request.auth, "device.manage")
    home = get_object_or_404(Jurisdiction.objects.visible_to(request.auth), pk=payload.jurisdiction_id)
    result = actions.provision_device(
        by=request.auth, jurisdiction=home, kind=payload.kind, protocol=payload.protocol,
        identifier=payload.identifier, model=payload.model, label=payload.label,
    )  # fmt: skip
    result.device.credential = result.credential  # shown in this response only; never stored in plaintext
    result.device.setup = setup_text(result.device, result.credential)
    return Status(201, result.device)


@router.get("/{int:device_id}", response=DeviceOut, summary="设备详情")
def get_device(request: HttpRequest, device_id: Id):
    return _device(request, device_id)


@router.patch("/{int:device_id}", response=DeviceOut, summary="修改型号或备注名")
def update_device(request: HttpRequest, device_id: Id, payload: DevicePatch):
    return actions.update_device(
        by=request.auth, device=_device(request, device_id), model=payload.model, label=payload.label
    )


@router.post("/{int:device_id}/assign", response=DeviceOut, summary="绑定到人员")
def assign(request: HttpRequest, device_id: Id, payload: DeviceAssignIn):
    device = _device(request, device_id)
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=payload.person_id)
    return actions.assign_device(by=request.auth, device=device, person=person)


@router.post("/{int:device_id}/unassign", response=DeviceOut, summary="解除绑定")
def unassign(request: HttpRequest, device_id: Id):
    return actions.unassign_device(by=request.auth, device=_device(request, device_id))


@router.post(
    "/{int:device_id}/reset-registration",
    response=DeviceOut,
    summary="重置终端注册（允许下一次注册并重新绑定）",
)
def reset_device_registration(request: HttpRequest, device_id: Id):
    return reset_registration(by=request.auth, device=_device(request, device_id))


@router.get("/{int:device_id}/positions", response=Page[PositionOut], summary="轨迹（按时间，读取留痕）")
def positions(request: HttpRequest, device_id: Id, period: Query[PositionRange]):
    device = _device(request, device_id)
    if period.to <= period.from_:
        raise Invalid("结束时间必须晚于开始时间", {"field": "to"})
    if period.to - period.from_ > dt.timedelta(days=93):
        raise Invalid("一次最多查询 93 天的轨迹", {"field": "to"})
    # Only the fixes of people the reader may open (a minor's or sealed file needs a grant), and of no one.
    queryset = Position.objects.on_device_seen_by(device, request.auth).filter(
        fix_time__gte=period.from_, fix_time__lt=period.to
    )
    page = paginate_by_time(queryset, period, "fix_time")
    record_audit(
        actor=request.auth, action=AuditAction.DEVICE_READ_POSITIONS, target=device,
        details={"from": period.from_.isoformat(), "to": period.to.isoformat(), "rows": len(page["items"])},
    )  # fmt: skip
    return page


# Rates add up over the processes (the gateway's fixes/s is the sum of its workers'); latencies do not.
ADDED_RATES = frozenset({"fixes_per_s"})


class GatewayStatsOut(Schema):
    nodes: list[dict]
    totals: dict


@gateway_router.get("/stats", response=GatewayStatsOut, summary="网关统计（每个进程每 10 秒更新）")
def gateway_stats(request: HttpRequest):
    require(request.auth, "device.manage")
    nodes = []
    totals: dict = {}
    for row in GatewayStats.objects.order_by("node"):
        fresh = timezone.now() - row.updated_at < dt.timedelta(seconds=60)
        nodes.append(
            {"node": row.node, "updated_at": row.updated_at.isoformat(), "running": fresh, **row.counters}
        )
        if not fresh:
            continue  # a stopped process's last counters are shown, not added to the totals
        for key, value in row.counters.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
            elif key in ADDED_RATES:
                totals[key] = round(totals.get(key, 0) + value, 1)
            elif isinstance(value, dict) and all(isinstance(count, int) for count in value.values()):
                # Counts by reason or protocol add up; a node's means (batch_phases_mean) do not.
                merged = totals.setdefault(key, {})
                for reason, count in value.items():
                    merged[reason] = merged.get(reason, 0) + count
    return {"nodes": nodes, "totals": totals}
