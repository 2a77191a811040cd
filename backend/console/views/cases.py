"""案件: open a case of each kind for a person (社区矫正 / 安置帮教 / 严重精神障碍) and correct its particulars.

Each form validates with the API's own input (``backend/people/inputs.py``: ``CorrectionIn``, ``AftercareIn``,
``MentalHealthIn``, ``CasePatch``) and writes through the same actions (``backend/people/actions/cases.py``),
so a refusal reads as the API's, beside its field.  Who may open or manage which kind is the policy's
(``case.open``, ``case.manage``; backend/people/permissions.py): a form the user may not use is not offered.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import DomainError, Invalid
from backend.core.http.types import Id
from backend.core.models import User
from backend.core.policy import may
from backend.core.rules import rules
from backend.people.actions import cases as actions
from backend.people.inputs import AftercareIn, CasePatch, CorrectionIn, MentalHealthIn, patch_details
from backend.people.models import AftercareOrigin, Case, CaseKind, Diagnosis, SentenceType
from backend.people.models.case import OPEN_STATUSES
from backend.people.models.scope import OFFICE_ROLES
from backend.people.permissions import sees_criminal_details, sees_health_fields
from backend.people.queries import person_in_reach
from backend.people.transitions import status_label

from ..forms import Form, form_page
from .common import staff_page

CHOICE_LIMIT = 300  # officers offered in a select


class CorrectionForm(CorrectionIn):
    """The API's correction input and the case input's ``officer_id`` (the case's 矫正责任人)."""

    officer_id: Id | None = None


class AftercareForm(AftercareIn):
    officer_id: Id | None = None


class MentalHealthForm(MentalHealthIn):
    officer_id: Id | None = None


OPENERS = {
    CaseKind.CORRECTION: (CorrectionForm, actions.open_correction_case),
    CaseKind.AFTERCARE: (AftercareForm, actions.open_aftercare_case),
    CaseKind.MENTAL_HEALTH: (MentalHealthForm, actions.open_mental_health_case),
}
UNKNOWN_KIND = "未知的案件类型：只能新建社区矫正、安置帮教或严重精神障碍案件"


def person_url(case_or_person_id: int) -> str:
    return f"/console/people/{case_or_person_id}/"


def denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "console/denied.html", {"message": message, "nav": "people"}, status=403)


def case_in_reach(user: User, case_id: int) -> Case:
    """One case ``user`` may see, with its person, detail row and team; out of reach → 404."""
    return get_object_or_404(
        Case.objects.visible_to(user).select_related(
            "person", "team", "officer", "correction", "aftercare", "mental_health"
        ),
        pk=case_id,
    )


def officer_choices(user: User) -> list[User]:
    """Office staff the user may name as the case's officer (the API accepts any user in their reach)."""
    return list(
        User.objects.visible_to(user)
        .filter(is_active=True, roles__role__in=OFFICE_ROLES)
        .distinct()
        .order_by("display_name", "id")[:CHOICE_LIMIT]
    )


def officer_by_id(user: User, officer_id: int | None) -> User | None:
    if officer_id is None:
        return None
    officer = User.objects.visible_to(user).filter(pk=officer_id).first()
    if officer is None:
        raise Invalid("所选责任人不存在或不在您的辖区", {"field": "officer_id"})
    return officer


def case_header(case: Case) -> dict[str, Any]:
    """What every case page names at its top."""
    return {
        "case": case,
        "person": case.person,
        "kind_label": CaseKind(case.kind).label,
        "status_label": status_label(case.kind, case.status),
        "is_open": case.status in OPEN_STATUSES,
        "nav": "people",
    }


@staff_page
def open_case_page(request: HttpRequest, person_id: int) -> HttpResponse:
    """新建案件 for a person, one form per kind (``?kind=``); without a kind, the kinds this user may open."""
    user = request.user
    person = person_in_reach(user, person_id)  # out of reach → 404
    kind = request.GET.get("kind", "")
    openable = [(k, CaseKind(k).label) for k in OPENERS if may(user, "case.open", k)]
    if kind not in OPENERS:
        status = 400 if kind else 200
        context = {
            "person": person,
            "kinds": openable,
            "error": UNKNOWN_KIND if kind else "",
            "nav": "people",
        }
        return render(request, "console/case_kinds.html", context, status=status)
    if not may(user, "case.open", kind):
        return denied(request, "无权新建此类案件")
    schema, opener = OPENERS[kind]

    def run(payload: Any) -> str:
        values = payload.dict()
        officer = officer_by_id(user, values.pop("officer_id"))
        case = opener(by=user, person=person, officer=officer, **values)
        return person_url(case.person_id) + "#cases"

    today = timezone.localdate()
    initial = {"officer_id": str(user.pk)}
    initial.update({CaseKind.AFTERCARE: {"origin": AftercareOrigin.PRISON_RELEASE},
                    CaseKind.MENTAL_HEALTH: {"opened_on": today.isoformat()}}.get(kind, {}))  # fmt: skip
    return form_page(request, Form(
        template="console/case_new.html",
        context={
            "person": person, "kind": kind, "kind_label": CaseKind(kind).label, "officers": officer_choices(user),
            "sentence_types": SentenceType.choices, "origins": AftercareOrigin.choices,
            "diagnoses": Diagnosis.choices, "risk_levels": range(6), "nav": "people", "rules": rules(),
        },
        schema=schema, run=run, done=f"已新建{CaseKind(kind).label}案件", initial=initial,
        checkboxes=("key_person",) if kind == CaseKind.AFTERCARE else (),
    ))  # fmt: skip


# --- correcting a case's particulars (PATCH /cases/{id}) ------------------------------------------------

# The form's fields per kind (actions.EDITABLE_DETAILS), each shown only to whom may change it.
JSON_PARTS = {"judgment": ("number",), "treatment": ("方式",), "medication": ("药物", "依从性")}


def _editable(user: User, case: Case) -> tuple[str, ...]:
    names = actions.EDITABLE_DETAILS[CaseKind(case.kind)]
    if case.kind == CaseKind.CORRECTION and not may(user, "case.edit_criminal_details"):
        return ()
    if case.kind == CaseKind.MENTAL_HEALTH and not may(user, "case.edit_health_details"):
        return ()
    return names


def _current(user: User, case: Case, names: tuple[str, ...]) -> dict[str, Any]:
    """The case's values as the form names them (``details.judgment.number``), for the form on GET."""
    detail = getattr(case, case.kind)
    values: dict[str, Any] = {"officer_id": str(case.officer_id or "")}
    for name in names:
        value = getattr(detail, name)
        if name in JSON_PARTS:
            for part in JSON_PARTS[name]:
                values[f"details.{name}.{part}"] = (value or {}).get(part, "")
        elif isinstance(value, bool):
            values[f"details.{name}"] = "on" if value else ""
        else:
            values[f"details.{name}"] = "" if value is None else str(value)  # dates as YYYY-MM-DD
    return values


def _beside(exc: DomainError, names: tuple[str, ...]) -> DomainError:
    """An action names its field as the API's ``details`` key (``term_end``); the form as ``details.term_end``."""
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    if field in names:
        return type(exc)(exc.message, {**exc.details, "field": f"details.{field}"})
    return exc


@staff_page
def edit_case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = case_in_reach(user, case_id)
    if not may(user, "case.manage", case):
        return denied(request, "无权办理此类案件")
    names = _editable(user, case)
    detail = getattr(case, case.kind)

    def run(payload: CasePatch) -> str:
        try:
            details = patch_details(payload)
            for name in JSON_PARTS:  # a form edits some keys of a JSON value: keep the others
                if name in details and isinstance(details[name], dict):
                    details[name] = {**(getattr(detail, name) or {}), **details[name]}
            actions.update_case(
                by=user, case=case, officer=officer_by_id(user, payload.officer_id), details=details
            )
        except DomainError as exc:
            raise _beside(exc, names) from None
        return person_url(case.person_id) + "#cases"

    if request.method == "GET":
        record_audit(actor=user, action=AuditAction.CASE_READ, target=case,
                     details={"health": sees_health_fields(user), "page": "console"})  # fmt: skip
    return form_page(request, Form(
        template="console/case_edit.html",
        context={
            **case_header(case), "detail": detail, "names": names, "officers": officer_choices(user),
            "diagnoses": Diagnosis.choices, "criminal": sees_criminal_details(user),
        },
        schema=CasePatch, run=run, done="已保存案件信息", initial=_current(user, case, names),
        checkboxes=("details.key_person",) if "key_person" in names else (),
    ))  # fmt: skip
