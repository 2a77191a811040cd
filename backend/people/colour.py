"""The three-colour board (红/黄/绿): a display computed from each person's open cases, never stored.

Rules (docs/people.md; thresholds in backend/core/rules.py):
- 红 red: an open correction case that is 严管, or 脱管查找中, or has a revocation pending; an aftercare case
  at risk 高; a mental-health case at risk ≥ 3.
- 黄 yellow: not red, and an open correction case that is 普管, 外出中, 羁押 or not yet reported (待报到); an
  aftercare case at risk 中
  or not yet handed over; a mental-health case at risk 1–2.
- 绿 green: everyone else with an open case, and people without one.
Open alerts count too: an unresolved critical alert makes red, any unresolved alert at least yellow.
"""

from __future__ import annotations

from django.db.models import Case as When_
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value, When

from backend.core.rules import rules
from backend.people.models import AftercareRisk, Case, CaseKind, CaseStatus, Category, SubStatus
from backend.people.models.case import OPEN_STATUSES

RED, YELLOW, GREEN = "red", "yellow", "green"
LABELS = {RED: "红", YELLOW: "黄", GREEN: "绿"}


def red_q() -> Q:
    r = rules()
    return (
        Q(kind=CaseKind.CORRECTION)
        & (Q(category=Category.STRICT) | Q(sub_status=SubStatus.LOST_CONTACT) | Q(revocation_pending=True))
        | Q(kind=CaseKind.AFTERCARE, aftercare_risk=AftercareRisk.HIGH)
        | Q(kind=CaseKind.MENTAL_HEALTH, risk_level__gte=r.colour_red_mh_risk)
    )


def yellow_q() -> Q:
    r = rules()
    return (
        Q(kind=CaseKind.CORRECTION)
        & (
            Q(category=Category.NORMAL)
            | Q(sub_status__in=[SubStatus.ON_LEAVE, SubStatus.DETAINED])
            | Q(status=CaseStatus.PENDING_REPORT)
        )
        | Q(kind=CaseKind.AFTERCARE)
        & (Q(aftercare_risk=AftercareRisk.MEDIUM) | Q(status=CaseStatus.NOTIFIED))
        | Q(kind=CaseKind.MENTAL_HEALTH, risk_level__gte=r.colour_yellow_mh_risk)
    )


def with_colour(persons: QuerySet) -> QuerySet:
    """Annotate ``colour`` on a Person queryset (two indexed EXISTS per row, no extra round trip)."""
    from backend.monitoring.models import Alert

    open_cases = Case.objects.filter(person=OuterRef("pk"), status__in=OPEN_STATUSES)
    open_alerts = Alert.objects.unresolved().filter(person=OuterRef("pk"))
    return persons.annotate(
        colour=When_(
            When(
                Exists(open_cases.filter(red_q())) | Exists(open_alerts.filter(severity="critical")),
                then=Value(RED),
            ),
            When(Exists(open_cases.filter(yellow_q())) | Exists(open_alerts), then=Value(YELLOW)),
            default=Value(GREEN),
            output_field=CharField(),
        )
    )
