"""/api/v1/location-orders: electronic location orders (Art. 29) — grant, renew, end, list."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Day, Id
from backend.core.models import User
from backend.monitoring.actions import orders as actions
from backend.monitoring.models import LocationOrder
from backend.people.models import Case

router = Router(tags=["电子定位"])


class OrderIn(Schema):
    case_id: Id
    ground: str = Field(description="适用情形 1–5（社区矫正法第二十九条）")
    facts: str = Field(min_length=1, max_length=4000)
    approved_by_id: Id
    approved_on: Day
    starts_on: Day
    ends_on: Day
    notice_signed_on: Day
    procuratorate_copy_sent_on: Day | None = None


class RenewIn(Schema):
    new_end: Day
    reassessment: str = Field(min_length=1, max_length=4000)
    approved_by_id: Id
    approved_on: Day


class EndIn(Schema):
    on: Day | None = None
    reason: str = Field(min_length=1, max_length=200)


class RenewalOut(Schema):
    previous_end: dt.date
    new_end: dt.date
    approved_by_id: int
    approved_on: dt.date


class OrderOut(Schema):
    id: int
    person_id: int
    case_id: int
    ground: str
    approved_by_id: int
    approved_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    notice_signed_on: dt.date
    procuratorate_copy_sent_on: dt.date | None
    ended_early_on: dt.date | None
    status: str
    renewals: list[RenewalOut]

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.status(timezone.localdate())

    @staticmethod
    def resolve_renewals(obj) -> list:
        return list(obj.renewals.order_by("id"))


class OrderFilters(Schema):
    person_id: Id | None = None
    status: str | None = Field(None, description="active / pending / ended")


def _order(request: HttpRequest, order_id: Id) -> LocationOrder:
    return get_object_or_404(LocationOrder.objects.visible_to(request.auth), pk=order_id)


@router.get("", response=Page[OrderOut], summary="电子定位决定列表")
def list_orders(request: HttpRequest, filters: Query[OrderFilters], page: Query[CursorParams]):
    queryset = LocationOrder.objects.visible_to(request.auth)
    if filters.person_id is not None:
        queryset = queryset.filter(person_id=filters.person_id)
    today = timezone.localdate()
    if filters.status == "active":
        queryset = queryset.in_force(today)
    elif filters.status == "pending":
        queryset = queryset.filter(starts_on__gt=today, ended_early_on__isnull=True)
    elif filters.status == "ended":
        queryset = queryset.exclude(pk__in=LocationOrder.objects.in_force(today)).filter(starts_on__lte=today)
    return paginate(queryset, page)


@router.post("", response={201: OrderOut}, summary="登记电子定位决定（须县级负责人批准，每次不超过 3 个月）")
def grant(request: HttpRequest, payload: OrderIn):
    case = get_object_or_404(
        Case.objects.visible_to(request.auth).select_related("person"), pk=payload.case_id
    )
    approver = get_object_or_404(User.objects.visible_to(request.auth) | User.objects.filter(
        jurisdiction__in=case.person.jurisdiction.ancestors()), pk=payload.approved_by_id)  # fmt: skip
    values = payload.dict(exclude={"case_id", "approved_by_id"})
    return Status(201, actions.grant_order(by=request.auth, case=case, approved_by=approver, **values))


@router.get("/{int:order_id}", response=OrderOut, summary="电子定位决定详情")
def get_order(request: HttpRequest, order_id: Id):
    return _order(request, order_id)


@router.post("/{int:order_id}/renew", response=OrderOut, summary="延长（须复查评估，每次不超过 3 个月）")
def renew(request: HttpRequest, order_id: Id, payload: RenewIn):
    order = _order(request, order_id)
    approver = get_object_or_404(
        User.objects.filter(jurisdiction__in=order.person.jurisdiction.ancestors()), pk=payload.approved_by_id
    )
    return actions.renew_order(
        by=request.auth, order=order, new_end=payload.new_end, reassessment=payload.reassessment,
        approved_by=approver, approved_on=payload.approved_on,
    )  # fmt: skip


@router.post("/{int:order_id}/end", response=OrderOut, summary="提前解除")
def end(request: HttpRequest, order_id: Id, payload: EndIn):
    return actions.end_order(
        by=request.auth,
        order=_order(request, order_id),
        on=payload.on or timezone.localdate(),
        reason=payload.reason,
    )
