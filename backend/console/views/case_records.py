"""A case's dated records on screen: status changes (the state machine's edges allowed now), category and
risk assessments (分类调整 / 风险评估), placements (安置记录) and emergency handling (应急处置记录).

Every form validates with the API's input (``TransitionIn``, ``MarkIn``, ``PlacementIn``, ``EmergencyIn``) and
writes through the API's actions; a refusal (a 409 such as 解除矫正 while a revocation is pending,
实施办法 Art. 53) is shown with its reason above the form, the values kept as typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.policy import may
from backend.people.actions import cases as actions
from backend.people.actions.transitions import transition_case
from backend.people.inputs import EmergencyIn, MarkIn, PlacementIn, TransitionIn
from backend.people.models import (
    AftercareRisk,
    Case,
    CaseKind,
    Category,
    MarkKind,
    PlacementKind,
    SubStatus,
)
from backend.people.transitions import REASON_LABELS, TRANSITIONS, Transition, actions_for, status_label

from ..forms import Form, form_page
from .cases import case_header, case_in_reach, denied, person_url
from .common import SHANGHAI, staff_page

HISTORY_LIMIT = 100


def allowed_now(case: Case) -> list[Transition]:
    """The edges the table allows from the case's status and sub-state (what ``case_view`` lists as
    ``actions``); the rules beyond the table (dates, a pending revocation) are the action's to refuse."""
    return [
        t
        for t in actions_for(case.kind)
        if case.status in t.sources and (t.sub_sources is None or case.sub_status in t.sub_sources)
    ]


def _transition_history(case: Case) -> list[dict[str, Any]]:
    labels = {t.action: t.label for t in actions_for(case.kind)}
    subs = dict(SubStatus.choices)
    rows = []
    for row in case.transitions.select_related("by").order_by("-at", "-id")[:HISTORY_LIMIT]:
        rows.append({
            "row": row, "label": labels.get(row.action, row.action),
            "from": status_label(case.kind, row.from_status), "to": status_label(case.kind, row.to_status),
            "sub": subs.get(row.to_sub_status, "") if row.to_sub_status else "",
            "reason": REASON_LABELS.get(row.reason, row.reason),
        })  # fmt: skip
    return rows


@staff_page
def transitions_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """状态变更: the history, the buttons for the edges allowed now, and the form of the one chosen."""
    user = request.user
    case = case_in_reach(user, case_id)
    manages = may(user, "case.manage", case)
    if request.method == "POST" and not manages:
        return denied(request, "无权办理此类案件")
    chosen = (request.POST if request.method == "POST" else request.GET).get("action", "")
    edge = TRANSITIONS.get((case.kind, chosen))

    def run(payload: TransitionIn) -> str:
        values = payload.dict()
        handover = values.get("handover")
        if isinstance(handover, dict) and "police_registered" in handover:
            handover["police_registered"] = str(handover["police_registered"]).lower() in {"true", "on", "1"}
        transition_case(by=user, case=case, **values)
        return person_url(case.person_id) + "#cases"

    if request.method == "GET":
        record_audit(actor=user, action=AuditAction.CASE_READ, target=case,
                     details={"page": "console", "view": "transitions"})  # fmt: skip
    label = edge.label if edge else "状态变更"
    return form_page(request, Form(
        template="console/case_transitions.html",
        context={
            **case_header(case), "manages": manages, "edges": allowed_now(case) if manages else [], "chosen": chosen,
            "edge": edge if manages else None, "reasons": [(r, REASON_LABELS[r]) for r in edge.reasons] if edge else [],
            "history": _transition_history(case), "today": timezone.localdate(),
        },
        schema=TransitionIn, run=run, done=f"已办理「{label}」", initial={"effective_on": timezone.localdate().isoformat()},
    ))  # fmt: skip


# --- 分类调整 / 风险评估 ---------------------------------------------------------------------------------

MARK_OF_KIND = {
    CaseKind.CORRECTION: (MarkKind.CATEGORY, Category.choices),
    CaseKind.AFTERCARE: (MarkKind.AFTERCARE_RISK, AftercareRisk.choices),
    CaseKind.MENTAL_HEALTH: (MarkKind.RISK_LEVEL, [(str(n), f"{n} 级") for n in range(6)]),
}


@staff_page
def marks_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case's category (矫正) or risk (帮教, 精神障碍) history, and the form for a new entry."""
    user = request.user
    case = case_in_reach(user, case_id)
    if not may(user, "case.manage", case):
        return denied(request, "无权办理此类案件")
    mark_kind, values = MARK_OF_KIND[CaseKind(case.kind)]

    def run(payload: MarkIn) -> str:
        actions.record_mark(by=user, case=case, **payload.dict())
        return f"/console/cases/{case.pk}/marks"

    labels = dict(values)
    history = [
        {"row": m, "value": labels.get(m.value, m.value)}
        for m in case.marks.select_related("by").order_by("-effective_on", "-id")[:HISTORY_LIMIT]
    ]
    if request.method == "GET":
        record_audit(actor=user, action=AuditAction.CASE_READ_MARKS, target=case, details={"page": "console"})
    return form_page(request, Form(
        template="console/case_marks.html",
        context={**case_header(case), "mark_kind": mark_kind, "mark_label": MarkKind(mark_kind).label,
                 "choices": values, "history": history},
        schema=MarkIn, run=run, done=f"已记录{MarkKind(mark_kind).label}",
        initial={"effective_on": timezone.localdate().isoformat()},
    ))  # fmt: skip


# --- 安置记录 (安置帮教) ---------------------------------------------------------------------------------


@staff_page
def placements_page(request: HttpRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = case_in_reach(user, case_id)
    if case.kind != CaseKind.AFTERCARE:
        raise Http404("只有安置帮教案件有安置记录")
    if not may(user, "case.manage", case):
        return denied(request, "无权办理此类案件")

    def run(payload: PlacementIn) -> str:
        actions.add_placement(by=user, case=case, **payload.dict())
        return f"/console/cases/{case.pk}/placements"

    return form_page(request, Form(
        template="console/case_placements.html",
        context={**case_header(case), "kinds": PlacementKind.choices,
                 "history": list(case.placements.order_by("-start_on", "-id")[:HISTORY_LIMIT])},
        schema=PlacementIn, run=run, done="已登记安置情况",
    ))  # fmt: skip


# --- 应急处置记录 (严重精神障碍) -------------------------------------------------------------------------


def _local(moment: dt.datetime) -> dt.datetime:
    """A ``datetime-local`` field carries no offset: it is the office's own time (Asia/Shanghai)."""
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment


@staff_page
def emergencies_page(request: HttpRequest, case_id: int) -> HttpResponse:
    """Recorded within 24 h (工作规范 2018); the list itself is for health staff only (``case.read_emergencies``)."""
    user = request.user
    case = case_in_reach(user, case_id)
    if case.kind != CaseKind.MENTAL_HEALTH:
        raise Http404("只有严重精神障碍案件有应急处置记录")
    if not may(user, "case.manage", case):
        return denied(request, "无权办理此类案件")

    def run(payload: EmergencyIn) -> str:
        actions.add_emergency(by=user, case=case, occurred_at=_local(payload.occurred_at),
                              description=payload.description)  # fmt: skip
        return f"/console/cases/{case.pk}/emergencies"

    reads = may(user, "case.read_emergencies")
    history = list(case.emergencies.order_by("-occurred_at")[:HISTORY_LIMIT]) if reads else []
    if reads and request.method == "GET":
        record_audit(
            actor=user, action=AuditAction.CASE_READ_EMERGENCIES, target=case, details={"page": "console"}
        )
    return form_page(request, Form(
        template="console/case_emergencies.html",
        context={**case_header(case), "reads": reads, "history": history},
        schema=EmergencyIn, run=run, done="已登记应急处置",
    ))  # fmt: skip
