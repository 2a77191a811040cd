"""/api/v1/due-items: 到期事项 — the case calendar as a list: what is due when, and what became of it."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from backend.core.http.pagination import CursorParams, Page, paginate_by_time
from backend.core.http.types import Day, Id
from backend.people.models import Case
from backend.supervision import calendar
from backend.supervision.models import DueItem

router = Router(tags=["到期事项"])


class DueItemFilters(Schema):
    case_id: Id | None = None
    kind: str | None = None
    state: str | None = Field(None, description="pending / claimed / done / cancelled")
    from_: Day | None = Field(None, alias="from", description="到期日不早于（北京时间，含）")
    to: Day | None = Field(None, description="到期日不晚于（北京时间，含）")


class DueItemOut(Schema):
    id: int
    kind: str
    subject: str
    case_id: int | None
    person_id: int | None
    jurisdiction_id: int
    due_at: dt.datetime
    state: str
    done_at: dt.datetime | None
    outcome: str
    details: dict


@router.get("", response=Page[DueItemOut], summary="到期事项（按到期时间先后）")
def list_due_items(request: HttpRequest, filters: Query[DueItemFilters], page: Query[CursorParams]):
    # Items of a case follow the case's visibility too (a health worker does not see correction deadlines).
    queryset = DueItem.objects.visible_to(request.auth).filter(
        Q(case__isnull=True) | Q(case__in=Case.objects.visible_to(request.auth).values("pk"))
    )
    if filters.case_id is not None:
        queryset = queryset.filter(
            case=get_object_or_404(Case.objects.visible_to(request.auth), pk=filters.case_id)
        )
    for key in ("kind", "state"):
        if getattr(filters, key) is not None:
            queryset = queryset.filter(**{key: getattr(filters, key)})
    if filters.from_ is not None:
        queryset = queryset.filter(due_at__gte=calendar.start_of(filters.from_))
    if filters.to is not None:
        queryset = queryset.filter(due_at__lt=calendar.end_of(filters.to))
    return paginate_by_time(queryset, page, "due_at")
