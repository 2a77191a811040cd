"""Chinese labels for the codes the presenters return (``{{ c.status|label:"status" }}``)."""

from __future__ import annotations

from django import template

from backend.people.models import (
    AftercareRisk,
    CaseKind,
    CaseStatus,
    Category,
    Diagnosis,
    Stability,
    SubStatus,
)
from backend.people.transitions import status_label
from backend.supervision.models import FollowUpKind

register = template.Library()

_LABELS = {
    "kind": dict(CaseKind.choices),
    "status": dict(CaseStatus.choices),
    "sub_status": dict(SubStatus.choices),
    "category": dict(Category.choices),
    "aftercare_risk": dict(AftercareRisk.choices),
    "stability": dict(Stability.choices),
    "diagnosis": dict(Diagnosis.choices),
    "followup": dict(FollowUpKind.choices),
}


@register.filter
def label(value: str, vocabulary: str) -> str:
    return _LABELS.get(vocabulary, {}).get(value, value or "—")


@register.filter
def case_status(case: dict) -> str:
    """``{{ c|case_status }}``: the case's status in its kind's words (在矫 / 帮教中 / 在管)."""
    return status_label(case.get("kind", ""), case.get("status", ""))
