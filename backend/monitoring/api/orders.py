"""/api/v1/location-orders: electronic location orders (Art. 29) — proposed by an officer, approved or
refused by a county head, withdrawn by the proposer; renewals the same way; ended early; listed."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.monitoring.actions import orders as actions
from backend.monitoring.inputs import ApproveIn, EndIn, OrderIn, RefuseIn, RenewIn
from backend.monitoring.models import Decision, LocationOrder, LocationOrderRenewal
from backend.people.models import Case

router = Router(tags=["电子定位"])


class RenewalOut(Schema):
    id: int
    previous_end: dt.date
    new_end: dt.date
    decision: str
    proposed_by_id: int | None
    proposed_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    approved_on: dt.date | None
    decision_reason: str | None


class OrderOut(Schema):
    id: int
    person_id: int
    case_id: int
    ground: str
    decision: str = Field(
        description="proposed 待批准 / approved 已批准 / refused 不予批准 / expired 逾期未批 / withdrawn 已撤回"
    )
    proposed_by_id: int
    proposed_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    approved_on: dt.date | None
    decision_reason: str | None
    decide_by: dt.date | None = Field(description="待批准的提请在此日期后逾期失效")
    starts_on: dt.date
    ends_on: dt.date
    notice_signed_on: dt.date
    procuratorate_copy_sent_on: dt.date | None
    ended_early_on: dt.date | None
    status: str = Field(description="active / pending（已批准，未开始）/ ended；未批准的为其审批状态")
    renewals: list[RenewalOut]

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.status(timezone.localdate())

    @staticmethod
    def resolve_decide_by(obj) -> dt.date | None:
        return actions.decide_by(obj.starts_on) if obj.decision == Decision.PROPOSED else None

    @staticmethod
    def resolve_renewals(obj) -> list:
        return list(obj.renewals.order_by("id"))


class OrderFilters(Schema):
    person_id: Id | None = None
    status: str | None = Field(None, description="active / pending / ended（已批准的决定）")
    decision: Decision | None = Field(None, description="审批状态：proposed 即待批准队列")


def _order(request: HttpRequest, order_id: Id) -> LocationOrder:
    return get_object_or_404(LocationOrder.objects.visible_to(request.auth), pk=order_id)


def _renewal(request: HttpRequest, order_id: Id, renewal_id: Id) -> LocationOrderRenewal:
    return get_object_or_404(
        LocationOrderRenewal.objects.select_related("order", "order__person"),
        order=_order(request, order_id), pk=renewal_id,
    )  # fmt: skip


@router.get("", response=Page[OrderOut], summary="电子定位决定列表（可按审批状态筛选）")
def list_orders(request: HttpRequest, filters: Query[OrderFilters], page: Query[CursorParams]):
    queryset = LocationOrder.objects.visible_to(request.auth)
    if filters.person_id is not None:
        queryset = queryset.filter(person_id=filters.person_id)
    if filters.decision is not None:
        queryset = queryset.filter(decision=filters.decision)
    today = timezone.localdate()
    if filters.status == "active":
        queryset = queryset.in_force(today)
    elif filters.status == "pending":
        queryset = queryset.approved().filter(starts_on__gt=today, ended_early_on__isnull=True)
    elif filters.status == "ended":
        queryset = (
            queryset.approved()
            .exclude(pk__in=LocationOrder.objects.in_force(today))
            .filter(starts_on__lte=today)
        )
    return paginate(queryset, page)


@router.post(
    "", response={201: OrderOut}, summary="提请电子定位（待县级负责人批准后生效，每次不超过 3 个月）"
)
def propose(request: HttpRequest, payload: OrderIn):
    case = get_object_or_404(
        Case.objects.visible_to(request.auth).select_related("person"), pk=payload.case_id
    )
    values = payload.dict(exclude={"case_id"})
    return Status(201, actions.propose_order(by=request.auth, case=case, **values))


@router.get("/{int:order_id}", response=OrderOut, summary="电子定位决定详情")
def get_order(request: HttpRequest, order_id: Id):
    return _order(request, order_id)


@router.post("/{int:order_id}/approve", response=OrderOut, summary="批准（县级司法行政部门负责人）")
def approve(request: HttpRequest, order_id: Id, payload: ApproveIn):
    return actions.approve_order(by=request.auth, order=_order(request, order_id), note=payload.note)


@router.post("/{int:order_id}/refuse", response=OrderOut, summary="不予批准（须写明理由；通知提请人）")
def refuse(request: HttpRequest, order_id: Id, payload: RefuseIn):
    return actions.refuse_order(by=request.auth, order=_order(request, order_id), reason=payload.reason)


@router.post("/{int:order_id}/withdraw", response=OrderOut, summary="撤回提请（提请人，审批前）")
def withdraw(request: HttpRequest, order_id: Id):
    return actions.withdraw_order(by=request.auth, order=_order(request, order_id))


@router.post(
    "/{int:order_id}/renew",
    response={201: RenewalOut},
    summary="提请延长（须复查评估，每次不超过 3 个月；批准后生效）",
)
def renew(request: HttpRequest, order_id: Id, payload: RenewIn):
    renewal = actions.renew_order(
        by=request.auth,
        order=_order(request, order_id),
        new_end=payload.new_end,
        reassessment=payload.reassessment,
    )
    return Status(201, renewal)


@router.post("/{int:order_id}/renewals/{int:renewal_id}/approve", response=OrderOut, summary="批准延长")
def approve_renewal(request: HttpRequest, order_id: Id, renewal_id: Id, payload: ApproveIn):
    renewal = _renewal(request, order_id, renewal_id)
    return actions.approve_renewal(by=request.auth, renewal=renewal, note=payload.note)


@router.post(
    "/{int:order_id}/renewals/{int:renewal_id}/refuse",
    response=RenewalOut,
    summary="不予批准延长（须写明理由）",
)
def refuse_renewal(request: HttpRequest, order_id: Id, renewal_id: Id, payload: RefuseIn):
    renewal = _renewal(request, order_id, renewal_id)
    return actions.refuse_renewal(by=request.auth, renewal=renewal, reason=payload.reason)


@router.post(
    "/{int:order_id}/renewals/{int:renewal_id}/withdraw", response=RenewalOut, summary="撤回延长提请"
)
def withdraw_renewal(request: HttpRequest, order_id: Id, renewal_id: Id):
    return actions.withdraw_renewal(by=request.auth, renewal=_renewal(request, order_id, renewal_id))


@router.post("/{int:order_id}/end", response=OrderOut, summary="提前解除")
def end(request: HttpRequest, order_id: Id, payload: EndIn):
    return actions.end_order(
        by=request.auth,
        order=_order(request, order_id),
        on=payload.on or timezone.localdate(),
        reason=payload.reason,
    )
