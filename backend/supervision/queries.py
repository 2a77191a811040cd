"""The Supervision read side, for the API, the console and the printed file alike: what each reader gets to
see of a follow-up (随访与走访) — findings and notes of mental-health kinds are health data: only health roles
see them (null for others) — and the file summary an approver sees beside a proposal."""

from __future__ import annotations

from backend.core.models import User
from backend.people.models import Case, CaseStatus, Category, CorrectionDetail, SubStatus
from backend.people.permissions import sees_health_fields
from backend.supervision.models import HEALTH_KINDS, FollowUp, Sanction, SanctionKind


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


# --- what an approver sees of the person's file beside a proposal (leave, sanctions) --------------------

# The rules' codes (actions/sanctions.py) and the usual grounds an officer types, in the approver's words.
BASIS_LABELS = {
    "lost_contact_le_10d": "脱离监管未超过十日",
    "lost_contact_gt_10d": "脱离监管超过十日",
    "lost_contact_gt_30d": "脱离监管超过一个月",
    "admonitions_unremedied": "受到两次训诫仍不改正",
    "warnings_repeated": "受到两次警告仍不改正",
    "missed_report": "未按规定报告",
    "missed_checkin": "未按规定签到",
    "missed_intake": "未按时报到",
    "lost_contact": "脱离监管",
}
SUMMARY_SANCTIONS = 10  # the latest decided steps shown beside a proposal


def basis_label(code: str) -> str:
    return BASIS_LABELS.get(code, code)


def file_summaries(reader: User, cases: list[Case]) -> dict[int, dict]:
    """Per case: number, category, status, term and the latest decided sanctions (the ledger the ladder
    counts — not proposals), in two queries.  Dates and kinds only: reasons stay on their own pages."""
    ids = {c.pk for c in cases}
    ledger: dict[int, list[Sanction]] = {}
    for sanction in (
        Sanction.objects.visible_to(reader).decided().filter(case_id__in=ids).order_by("-decided_on", "-id")
    ):
        ledger.setdefault(sanction.case_id, []).append(sanction)
    terms = {
        pk: (start, end)
        for pk, start, end in CorrectionDetail.objects.filter(case_id__in=ids).values_list(
            "case_id", "term_start", "term_end"
        )
    }
    out = {}
    for case in cases:
        rows = ledger.get(case.pk, [])
        status = CaseStatus(case.status).label
        if case.sub_status:
            status += f"（{SubStatus(case.sub_status).label}）"
        out[case.pk] = {
            "number": case.number or case.pk,
            "category": Category(case.category).label if case.category else "未分类（按严管）",
            "status": status,
            "term": terms.get(case.pk),
            "revocation_pending": case.revocation_pending,
            "sanctions": [
                {"decided_on": s.decided_on, "kind": SanctionKind(s.kind).label, "remedied": s.remedied}
                for s in rows[:SUMMARY_SANCTIONS]
            ],
            "sanction_count": len(rows),
        }
    return out
