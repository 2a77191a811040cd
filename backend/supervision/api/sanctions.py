"""/api/v1/sanctions: 考核奖惩 — the ledger per case, proposals the county decides (approve / refuse), and
the rules' suggestions (accept / dismiss)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.people.models import Case
from backend.supervision.actions import sanction_proposals as proposals
from backend.supervision.actions import sanctions as actions
from backend.supervision.inputs import AcceptIn, DismissIn, SanctionApproveIn, SanctionIn, SanctionRefuseIn
from backend.supervision.models import Sanction, SanctionSuggestion

router = Router(tags=["考核奖惩"])


class SanctionOut(Schema):
    id: int
    case_id: int
    kind: str
    state: str = Field(
        description="proposed（待县级决定）/ decided / refused / expired；只有 decided 计入考核"
    )
    decided_on: dt.date | None
    decided_by_id: int | None
    proposed_by_id: int | None
    proposed_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_note: str | None
    reason: str
    basis: str
    suggestion_id: int | None
    remedied: bool
    created_at: dt.datetime


class SanctionFilters(Schema):
    case_id: Id | None = None
    kind: str | None = None
    state: str | None = Field(None, description="proposed / decided / refused / expired")
    awaiting_me: bool = Field(False, description="只看待我决定的提请（案件所属县级社区矫正机构）")


class SuggestionOut(Schema):
    id: int
    case_id: int
    kind: str
    rule: str
    details: dict
    state: str
    created_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None


class SuggestionFilters(Schema):
    case_id: Id | None = None
    state: str | None = Field(None, description="open / accepted / dismissed")


class AcceptOut(Schema):
    suggestion: SuggestionOut
    sanction: SanctionOut | None


def _suggestion(request: HttpRequest, suggestion_id: Id) -> SanctionSuggestion:
    return get_object_or_404(
        SanctionSuggestion.objects.visible_to(request.auth).select_related("case"), pk=suggestion_id
    )


@router.get("", response=Page[SanctionOut], summary="奖惩记录（读取留痕）")
def list_sanctions(request: HttpRequest, filters: Query[SanctionFilters], page: Query[CursorParams]):
    queryset = Sanction.objects.visible_to(request.auth)
    for key in ("case_id", "kind", "state"):
        value = getattr(filters, key)
        if value is not None:
            queryset = queryset.filter(**{key: value})
    if filters.awaiting_me:
        queryset = queryset.filter(proposals.awaiting_q(request.auth))
    result = paginate(queryset, page)
    record_audit(
        actor=request.auth, action=AuditAction.SANCTION_LIST, details={"ids": [s.pk for s in result["items"]]}
    )
    return result


@router.post(
    "", response={201: SanctionOut},
    summary="作出奖惩决定（表扬、训诫、警告、提请治安处罚、提请撤销）；县级决定的种类由司法所提交时为提请（state=proposed）",
)  # fmt: skip
def create_sanction(request: HttpRequest, payload: SanctionIn):
    case = get_object_or_404(Case.objects.visible_to(request.auth), pk=payload.case_id)
    values = payload.dict(exclude={"case_id"})
    return Status(201, actions.record_sanction(by=request.auth, case=case, **values))


@router.get("/{int:sanction_id}", response=SanctionOut, summary="奖惩记录或提请详情（读取留痕）")
def get_sanction(request: HttpRequest, sanction_id: Id):
    sanction = get_object_or_404(Sanction.objects.visible_to(request.auth), pk=sanction_id)
    record_audit(actor=request.auth, action=AuditAction.SANCTION_READ, target=sanction)
    return sanction


@router.post(
    "/{int:sanction_id}/approve", response=SanctionOut, summary="批准提请（案件所属县级社区矫正机构）"
)
def approve(request: HttpRequest, sanction_id: Id, payload: SanctionApproveIn):
    sanction = get_object_or_404(
        Sanction.objects.visible_to(request.auth).select_related("case"), pk=sanction_id
    )
    return proposals.approve_sanction(by=request.auth, sanction=sanction, note=payload.note)


@router.post(
    "/{int:sanction_id}/refuse", response=SanctionOut, summary="不予批准提请（须说明理由，告知提请人）"
)
def refuse(request: HttpRequest, sanction_id: Id, payload: SanctionRefuseIn):
    sanction = get_object_or_404(
        Sanction.objects.visible_to(request.auth).select_related("case"), pk=sanction_id
    )
    return proposals.refuse_sanction(by=request.auth, sanction=sanction, note=payload.note)


@router.post("/{int:sanction_id}/remedy", response=SanctionOut, summary="训诫已改正")
def remedy(request: HttpRequest, sanction_id: Id):
    sanction = get_object_or_404(Sanction.objects.visible_to(request.auth), pk=sanction_id)
    return actions.remedy_sanction(by=request.auth, sanction=sanction)


@router.get("/suggestions", response=Page[SuggestionOut], summary="奖惩建议（系统建议，由工作人员决定）")
def list_suggestions(request: HttpRequest, filters: Query[SuggestionFilters], page: Query[CursorParams]):
    queryset = SanctionSuggestion.objects.visible_to(request.auth)
    for key in ("case_id", "state"):
        value = getattr(filters, key)
        if value is not None:
            queryset = queryset.filter(**{key: value})
    return paginate(queryset, page)


@router.post("/suggestions/{int:suggestion_id}/accept", response=AcceptOut, summary="采纳建议（作出决定）")
def accept(request: HttpRequest, suggestion_id: Id, payload: AcceptIn):
    suggestion, sanction = actions.accept_suggestion(
        by=request.auth, suggestion=_suggestion(request, suggestion_id), **payload.dict()
    )
    return {"suggestion": suggestion, "sanction": sanction}


@router.post(
    "/suggestions/{int:suggestion_id}/dismiss", response=SuggestionOut, summary="不采纳（须说明理由）"
)
def dismiss(request: HttpRequest, suggestion_id: Id, payload: DismissIn):
    return actions.dismiss_suggestion(
        by=request.auth, suggestion=_suggestion(request, suggestion_id), note=payload.note
    )
