"""/api/v1/leave-requests: 外出 — file, the approval queue, approve / reject / withdraw, return (销假)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Day, Id
from backend.people.models import Case
from backend.supervision.actions import leave as actions
from backend.supervision.inputs import LeaveIn, ReturnIn
from backend.supervision.models import LeaveRequest

router = Router(tags=["外出"])


class LeaveFilters(Schema):
    case_id: Id | None = None
    state: str | None = None
    tier: str | None = None
    awaiting_me: bool = Field(False, description="只看待我审批的（按我的层级与辖区）")


class LeaveApproveIn(Schema):
    note: str = Field("", max_length=2000)
    procuratorate_notified_on: Day | None = Field(None, description="通报检察院日期（上一级审批时必填）")


class RejectIn(Schema):
    note: str = Field("", max_length=2000, description="不予批准的理由（必填）")


class LeaveSummary(Schema):
    id: int
    case_id: int
    starts_on: dt.date
    ends_on: dt.date
    days: int
    frequent: bool
    tier: str
    tier_basis: str
    state: str
    applied_on: dt.date
    created_by_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    procuratorate_notified_on: dt.date | None
    returned_at: dt.datetime | None
    destination_zone_id: int | None


class LeaveOut(LeaveSummary):
    destination: str
    reason: str
    destination_geometry: dict | None
    decision_note: str | None
    return_recorded_by_id: int | None


def _leave(request: HttpRequest, leave_id: Id) -> LeaveRequest:
    return get_object_or_404(
        LeaveRequest.objects.visible_to(request.auth).select_related("case"), pk=leave_id
    )


@router.get("", response=Page[LeaveSummary], summary="外出申请列表（awaiting_me=true：待我审批）")
def list_leave(request: HttpRequest, filters: Query[LeaveFilters], page: Query[CursorParams]):
    queryset = LeaveRequest.objects.visible_to(request.auth)
    for key in ("case_id", "state", "tier"):
        value = getattr(filters, key)
        if value is not None:
            queryset = queryset.filter(**{key: value})
    if filters.awaiting_me:
        queryset = queryset.filter(actions.awaiting_q(request.auth))
    return paginate(queryset, page)


@router.post("", response={201: LeaveOut}, summary="提交外出申请")
def create_leave(request: HttpRequest, payload: LeaveIn):
    case = get_object_or_404(Case.objects.visible_to(request.auth), pk=payload.case_id)
    values = payload.dict(exclude={"case_id"})
    return Status(201, actions.create_leave(by=request.auth, case=case, **values))


@router.get("/{int:leave_id}", response=LeaveOut, summary="外出申请详情（读取留痕）")
def get_leave(request: HttpRequest, leave_id: Id):
    leave = _leave(request, leave_id)
    record_audit(actor=request.auth, action=AuditAction.LEAVE_READ, target=leave)
    return leave


@router.post("/{int:leave_id}/approve", response=LeaveOut, summary="批准（按层级：司法所 / 县级 / 上一级）")
def approve(request: HttpRequest, leave_id: Id, payload: LeaveApproveIn):
    return actions.approve_leave(by=request.auth, leave=_leave(request, leave_id), **payload.dict())


@router.post("/{int:leave_id}/reject", response=LeaveOut, summary="不予批准（须说明理由）")
def reject(request: HttpRequest, leave_id: Id, payload: RejectIn):
    return actions.reject_leave(by=request.auth, leave=_leave(request, leave_id), note=payload.note)


@router.post("/{int:leave_id}/cancel", response=LeaveOut, summary="撤回（提交人，审批前）")
def cancel(request: HttpRequest, leave_id: Id):
    return actions.cancel_leave(by=request.auth, leave=_leave(request, leave_id))


@router.post("/{int:leave_id}/return", response=LeaveOut, summary="销假")
def return_leave(request: HttpRequest, leave_id: Id, payload: ReturnIn):
    return actions.return_leave(
        by=request.auth, leave=_leave(request, leave_id), returned_at=payload.returned_at
    )
