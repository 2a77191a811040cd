"""The Supervision read side, for the API, the console and the printed file alike: what each reader gets to
see of a follow-up (随访与走访).  Findings and notes of mental-health kinds are health data: only health roles
see them (null for others)."""

from __future__ import annotations

from backend.core.models import User
from backend.people.permissions import sees_health_fields
from backend.supervision.models import HEALTH_KINDS, FollowUp


def followup_view(followup: FollowUp, reader: User) -> dict:
    hidden = followup.kind in HEALTH_KINDS and not sees_health_fields(reader)
    return {
        "id": followup.pk,
        "case_id": followup.case_id,
        "kind": followup.kind,
        "at": followup.at,
        "by_id": followup.by_id,
        "risk_level": followup.risk_level,
        "aftercare_risk": followup.aftercare_risk,
        "findings": None if hidden else followup.findings,
        "note": None if hidden else followup.note,
        "created_at": followup.created_at,
    }
