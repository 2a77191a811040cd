"""/api/v1/checkins: 签到与报告 — check-ins recorded by officers or sent by the subject's app, the plans
(报告/签到计划) per case and the monthly compliance view."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Day, Id, Month
from backend.people.models import Case
from backend.supervision.actions import checkins as actions
from backend.supervision.api.device_auth import DEVICE
from backend.supervision.inputs import CheckinIn, PlanIn
from backend.supervision.models import Checkin
from backend.supervision.plans import compliance, ensure_default_plan
from backend.supervision.windows import SHANGHAI

router = Router(tags=["签到与报告"])


class CheckinFilters(Schema):
    case_id: Id | None = None
    kind: str | None = None
    from_: Day | None = Field(None, alias="from", description="起始日期（含，北京时间）")
    to: Day | None = Field(None, description="截止日期（含，北京时间）")


class CheckinOut(Schema):
    id: int
    case_id: int
    kind: str
    at: dt.datetime
    hours: float | None
    recorded_by_id: int | None
    device_id: int | None
    verified: bool | None
    has_location: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_has_location(obj) -> bool:
        return obj.point is not None


class CheckinDetailOut(CheckinOut):
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    note: str | None

    @staticmethod
    def resolve_lat(obj) -> float | None:
        return obj.point["lat"] if obj.point else None

    @staticmethod
    def resolve_lon(obj) -> float | None:
        return obj.point["lon"] if obj.point else None

    @staticmethod
    def resolve_accuracy_m(obj) -> float | None:
        return obj.point.get("accuracy_m") if obj.point else None


class AppCheckinIn(Schema):
    lat: float
    lon: float
    accuracy: float | None = Field(None, description="定位精度（米）")


class AppCheckinOut(Schema):
    id: int
    at: dt.datetime
    verified: bool | None


class PlanOut(Schema):
    id: int
    case_id: int
    kind: str
    period: str
    required: int
    override: bool
    active: bool
    active_since: dt.datetime | None
    updated_at: dt.datetime


class WindowOut(Schema):
    window: str
    start: dt.datetime
    end: dt.datetime
    required: int
    done: float
    status: str = Field(
        description="met 已完成 / missed 未完成 / open 进行中 / future 未开始 / grace 起始周期不计"
    )


class DutyOut(Schema):
    plan_id: int
    kind: str
    period: str
    required: int
    override: bool
    windows: list[WindowOut]


def _case(request: HttpRequest, case_id: Id) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.auth), pk=case_id)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=SHANGHAI)


@router.get("", response=Page[CheckinOut], summary="签到与报告记录（新的在前）")
def list_checkins(request: HttpRequest, filters: Query[CheckinFilters], page: Query[CursorParams]):
    queryset = Checkin.objects.visible_to(request.auth)
    if filters.case_id is not None:
        queryset = queryset.filter(case=_case(request, filters.case_id))  # a case out of scope is 404
    if filters.kind is not None:
        queryset = queryset.filter(kind=filters.kind)
    if filters.from_ is not None:
        queryset = queryset.filter(at__gte=_day_start(filters.from_))
    if filters.to is not None:
        queryset = queryset.filter(at__lt=_day_start(filters.to + dt.timedelta(days=1)))
    return paginate(queryset, page, newest_first=True)


@router.post("", response={201: CheckinOut}, summary="登记签到、报告或教育/社区服务时长")
def record(request: HttpRequest, payload: CheckinIn):
    checkin = actions.record_checkin(
        by=request.auth, case=_case(request, payload.case_id), kind=payload.kind, at=payload.at,
        hours=payload.hours, note=payload.note,
    )  # fmt: skip
    return Status(201, checkin)


@router.post(
    "/app",
    auth=DEVICE,
    response={201: AppCheckinOut},
    summary="手机签到（设备认证：Authorization: Device <设备标识>）",
)
def app_checkin(request: HttpRequest, payload: AppCheckinIn):
    checkin = actions.app_checkin(
        identifier=request.auth, lat=payload.lat, lon=payload.lon, accuracy_m=payload.accuracy
    )
    return Status(201, checkin)


@router.get("/plans", response=list[PlanOut], summary="签到计划（按管理类别的默认要求与个别调整）")
def list_plans(request: HttpRequest, case_id: Id):
    # Refreshing first means a category changed a minute ago already shows its duties.
    return ensure_default_plan(_case(request, case_id))


@router.put("/plans/{int:case_id}/{kind}", response=PlanOut, summary="调整某人的一项签到要求（留痕）")
def put_plan(request: HttpRequest, case_id: Id, kind: str, payload: PlanIn):
    return actions.override_plan(
        by=request.auth, case=_case(request, case_id), kind=kind, required=payload.required,
        period=payload.period, active=payload.active, reset=payload.reset,
    )  # fmt: skip


@router.get("/compliance", response=list[DutyOut], summary="按月查看各项签到要求的完成情况")
def get_compliance(request: HttpRequest, case_id: Id, month: Month):
    case = _case(request, case_id)
    ensure_default_plan(case)
    return compliance(case, month)


@router.get("/{int:checkin_id}", response=CheckinDetailOut, summary="签到详情（含位置，读取留痕）")
def get_checkin(request: HttpRequest, checkin_id: Id):
    checkin = get_object_or_404(Checkin.objects.visible_to(request.auth), pk=checkin_id)
    record_audit(
        actor=request.auth, action=AuditAction.CHECKIN_READ, target=checkin, details={"case": checkin.case_id}
    )
    return checkin
