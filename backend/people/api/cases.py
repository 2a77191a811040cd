"""/api/v1/cases: open, read, transitions (the status machine), category/risk history, placements, emergencies."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.core.models import User
from backend.core.policy import require
from backend.people.actions import cases as actions
from backend.people.actions.transitions import transition_case
from backend.people.api.schemas import (
    CaseOut,
    CaseSummary,
    EmergencyOut,
    MarkOut,
    PlacementOut,
    TransitionOut,
)
from backend.people.inputs import (
    CaseIn,
    CasePatch,
    EmergencyIn,
    MarkIn,
    PlacementIn,
    TransitionIn,
    patch_details,
)
from backend.people.models import Case, Person
from backend.people.permissions import sees_health_fields
from backend.people.queries import case_view

router = Router(tags=["案件"])

_RELATED = ("correction", "aftercare", "mental_health", "team")


class CaseFilters(Schema):
    person_id: Id | None = None
    kind: str | None = None
    status: str | None = None
    category: str | None = None


def _case(request: HttpRequest, case_id: Id) -> Case:
    return get_object_or_404(
        Case.objects.visible_to(request.auth).select_related(*_RELATED, "person"), pk=case_id
    )


@router.get("", response=Page[CaseSummary], summary="案件列表")
def list_cases(request: HttpRequest, filters: Query[CaseFilters], page: Query[CursorParams]):
    queryset = Case.objects.visible_to(request.auth)
    for key, value in filters.dict().items():
        if value is not None:
            queryset = queryset.filter(**{key: value})
    return paginate(queryset, page)


@router.get("/{int:case_id}", response=CaseOut, summary="案件详情（读取留痕）")
def get_case(request: HttpRequest, case_id: Id):
    case = _case(request, case_id)
    record_audit(
        actor=request.auth,
        action=AuditAction.CASE_READ,
        target=case,
        details={"health": sees_health_fields(request.auth)},
    )
    return case_view(case, request.auth)


@router.post("", response={201: CaseOut}, summary="新建案件（社区矫正/安置帮教/严重精神障碍）")
def open_case(request: HttpRequest, payload: CaseIn):
    person = get_object_or_404(Person.objects.visible_to(request.auth), pk=payload.person_id)
    officer = None
    if payload.officer_id is not None:
        officer = get_object_or_404(User.objects.visible_to(request.auth), pk=payload.officer_id)
    details = getattr(payload, payload.kind)
    if details is None:
        raise Invalid(f"新建此类案件须提供 {payload.kind} 字段", {"field": payload.kind})
    opener = {
        "correction": actions.open_correction_case,
        "aftercare": actions.open_aftercare_case,
        "mental_health": actions.open_mental_health_case,
    }[payload.kind]
    case = opener(by=request.auth, person=person, officer=officer, **details.dict())
    return Status(201, case_view(_case(request, case.pk), request.auth))


@router.patch("/{int:case_id}", response=CaseOut, summary="修改案件信息（状态变更请用 transitions）")
def update_case(request: HttpRequest, case_id: Id, payload: CasePatch):
    case = _case(request, case_id)
    officer = None
    if payload.officer_id is not None:
        officer = get_object_or_404(User.objects.visible_to(request.auth), pk=payload.officer_id)
    actions.update_case(by=request.auth, case=case, officer=officer, details=patch_details(payload))
    return case_view(_case(request, case_id), request.auth)


@router.post("/{int:case_id}/transitions", response=CaseOut, summary="状态变更（报到、外出、解除、终止 …）")
def transition(request: HttpRequest, case_id: Id, payload: TransitionIn):
    case = transition_case(by=request.auth, case=_case(request, case_id), **payload.dict())
    return case_view(_case(request, case.pk), request.auth)


@router.get("/{int:case_id}/transitions", response=list[TransitionOut], summary="状态变更记录")
def list_transitions(request: HttpRequest, case_id: Id):
    return list(_case(request, case_id).transitions.order_by("at", "id"))


@router.post("/{int:case_id}/marks", response={201: MarkOut}, summary="分类调整 / 风险评估")
def add_mark(request: HttpRequest, case_id: Id, payload: MarkIn):
    return Status(201, actions.record_mark(by=request.auth, case=_case(request, case_id), **payload.dict()))


@router.get("/{int:case_id}/marks", response=list[MarkOut], summary="分类与风险历史")
def list_marks(request: HttpRequest, case_id: Id):
    case = _case(request, case_id)
    record_audit(actor=request.auth, action=AuditAction.CASE_READ_MARKS, target=case)
    return list(case.marks.all())


@router.post("/{int:case_id}/placements", response={201: PlacementOut}, summary="安置记录")
def add_placement(request: HttpRequest, case_id: Id, payload: PlacementIn):
    return Status(201, actions.add_placement(by=request.auth, case=_case(request, case_id), **payload.dict()))


@router.get("/{int:case_id}/placements", response=list[PlacementOut], summary="安置记录列表")
def list_placements(request: HttpRequest, case_id: Id):
    return list(_case(request, case_id).placements.order_by("start_on", "id"))


@router.post("/{int:case_id}/emergencies", response={201: EmergencyOut}, summary="应急处置记录")
def add_emergency(request: HttpRequest, case_id: Id, payload: EmergencyIn):
    return Status(201, actions.add_emergency(by=request.auth, case=_case(request, case_id), **payload.dict()))


@router.get("/{int:case_id}/emergencies", response=list[EmergencyOut], summary="应急处置记录列表（卫生人员）")
def list_emergencies(request: HttpRequest, case_id: Id):
    case = _case(request, case_id)
    require(request.auth, "case.read_emergencies")
    record_audit(actor=request.auth, action=AuditAction.CASE_READ_EMERGENCIES, target=case)
    return list(case.emergencies.order_by("occurred_at"))
