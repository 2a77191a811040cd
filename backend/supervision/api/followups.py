"""/api/v1/followups: 随访与走访 — list, record, and the yearly 规范管理 count of mental-health cases.

Findings and notes of mental-health kinds are health data: only health roles see them (null for others);
only health roles record those kinds (``actions/followups.py``).  Every read is audited.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id, Year
from backend.people.models import Case
from backend.people.permissions import sees_health_fields
from backend.supervision import calendar
from backend.supervision.actions import followups as actions
from backend.supervision.inputs import FollowUpIn
from backend.supervision.models import FollowUp
from backend.supervision.queries import followup_view

router = Router(tags=["随访与走访"])


class FollowUpFilters(Schema):
    case_id: Id | None = None
    kind: str | None = None


class FollowUpOut(Schema):
    id: int
    case_id: int
    kind: str
    at: dt.datetime
    by_id: int
    risk_level: int | None
    aftercare_risk: str
    findings: dict | None
    note: str | None
    created_at: dt.datetime


class ComplianceOut(Schema):
    case_id: int
    year: int
    followups: int
    required_followups: int
    health_checks: int
    required_health_checks: int
    compliant: bool


def _case(request: HttpRequest, case_id: Id) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.auth), pk=case_id)


@router.get(
    "", response=Page[FollowUpOut], summary="随访与走访记录（读取留痕；精神障碍类情况仅卫生人员可见）"
)
def list_followups(request: HttpRequest, filters: Query[FollowUpFilters], page: Query[CursorParams]):
    queryset = FollowUp.objects.visible_to(request.auth)
    if filters.case_id is not None:
        queryset = queryset.filter(case=_case(request, filters.case_id))
    if filters.kind is not None:
        queryset = queryset.filter(kind=filters.kind)
    result = paginate(queryset, page, newest_first=True)
    health = sees_health_fields(request.auth)
    record_audit(
        actor=request.auth,
        action=AuditAction.FOLLOWUP_LIST,
        target=("people.case", filters.case_id) if filters.case_id else None,
        details={"count": len(result["items"]), "health": health, "ids": [f.pk for f in result["items"]]},
    )
    result["items"] = [followup_view(f, request.auth) for f in result["items"]]
    return result


@router.post("", response={201: FollowUpOut}, summary="登记随访、走访、复评、总结、鉴定、接送或突发事件")
def record_followup(request: HttpRequest, payload: FollowUpIn):
    values = payload.dict(exclude={"case_id"})
    followup = actions.record_followup(by=request.auth, case=_case(request, payload.case_id), **values)
    return Status(201, followup_view(followup, request.auth))


@router.get(
    "/compliance",
    response=ComplianceOut,
    summary="年度规范管理情况（随访 ≥4 次、体检 ≥1 次；卫生人员与矫正机构）",
)
def compliance(request: HttpRequest, case_id: Id, year: Year | None = None):
    case = _case(request, case_id)
    year = year or calendar.local_date(timezone.now()).year
    return actions.compliance(by=request.auth, case=case, year=year)
