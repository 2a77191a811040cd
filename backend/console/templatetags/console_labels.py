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
