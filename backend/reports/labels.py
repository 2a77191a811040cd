"""Chinese labels for codes, from the models' own choices (one source of wording)."""

from __future__ import annotations

from backend.core.models import Role
from backend.monitoring.models import AlertEvent, AlertKind, AlertState, Ground, Resolution, Severity
from backend.people.models import (
    AftercareRisk,
    CaseKind,
    Category,
    Diagnosis,
    Gender,
    MarkKind,
    SentenceType,
    Stability,
    SubStatus,
    TeamRole,
)
from backend.people.transitions import REASON_LABELS, TRANSITIONS, status_label
from backend.supervision.models import (
    HEALTH_KINDS,
    CheckinKind,
    FollowUpKind,
    LeaveState,
    LeaveTier,
    Period,
    SanctionKind,
)
from backend.supervision.plans import DUTY_LABELS

MarkKindLabels = MarkKind

COMPLIANCE_STATUS = {
    "met": "已完成",
    "missed": "未完成",
    "open": "进行中",
    "future": "未开始",
    "grace": "宽限期",
    "custody": "羁押期间",
}


def choice(choices, value, default: str = "—") -> str:
    if value in (None, ""):
        return default
    return dict(choices.choices).get(value, str(value))


def status(kind: str, value: str) -> str:
    """Status words per kind: "在矫" for a correction case, "帮教中" for aftercare, "在管" for mental health."""
    return status_label(kind, value)


def action(kind: str, code: str) -> str:
    t = TRANSITIONS.get((kind, code))
    return t.label if t else code


def reason(code: str) -> str:
    return REASON_LABELS.get(code, code or "—")


def mark_value(kind: str, value: str) -> str:
    if kind == "category":
        return choice(Category, value, "未评估")
    if kind == "aftercare_risk":
        return choice(AftercareRisk, value, "未评估")
    return f"{value} 级" if value not in (None, "") else "未评估"


def duty(kind: str) -> str:
    return DUTY_LABELS.get(kind, choice(CheckinKind, kind))


__all__ = [
    "COMPLIANCE_STATUS",
    "HEALTH_KINDS",
    "AftercareRisk",
    "AlertEvent",
    "AlertKind",
    "AlertState",
    "CaseKind",
    "Category",
    "CheckinKind",
    "Diagnosis",
    "FollowUpKind",
    "Gender",
    "Ground",
    "LeaveState",
    "LeaveTier",
    "MarkKindLabels",
    "Period",
    "Resolution",
    "Role",
    "SanctionKind",
    "SentenceType",
    "Severity",
    "Stability",
    "SubStatus",
    "TeamRole",
    "action",
    "choice",
    "duty",
    "mark_value",
    "reason",
    "status",
]
