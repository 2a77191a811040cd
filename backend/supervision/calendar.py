"""The case calendar (案件日历): the deadline each case has *now*, one function per kind over a queryset.

The same functions serve the hourly planners (what should exist), the handlers (is this item still the
current deadline when it comes due?) and the follow-up actions (plan the next one the moment one is
recorded).  Every date is an Asia/Shanghai date; a deadline "on day D" is due at D 00:00 there, "by day
D" at D 24:00 (``end_of``).

A subject carries the date its deadline is about ("contact:12:2026-03-01"): a moved date (a renewal, a
changed term end, a contact recorded) is a new item, and the old one, when it comes due, finds it is no
longer current and finishes "stale" or "done" instead of alerting.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from backend.core.rules import rules
from backend.monitoring.actions.orders import add_months  # calendar months, clamped: 31 Jan + 1 = 28/29 Feb
from backend.people.models import (
    AftercareRisk,
    Case,
    CaseKind,
    CaseMark,
    CaseStatus,
    Category,
    MarkKind,
)
from backend.supervision.due import Plan, plan_many
from backend.supervision.models import DueItem, DueKind, DueState, FollowUp, FollowUpKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(SHANGHAI).date()


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)


def end_of(day: dt.date) -> dt.datetime:
    return start_of(day + DAY)


def _plan(kind: str, subject: str, due_at: dt.datetime, row: dict, **details) -> Plan:
    return Plan(kind, subject, due_at, row["jurisdiction_id"], row["pk"], row["person_id"], details)


_CASE_FIELDS = ("pk", "jurisdiction_id", "person_id")


def _latest(kind: str):
    """When the outer case last had a follow-up of ``kind`` (uses the followup_by_case index)."""
    return Subquery(
        FollowUp.objects.filter(case=OuterRef("pk"), kind=kind).order_by("-at").values("at")[:1],
        output_field=DateTimeField(),
    )


def _latest_mark(kind: str):
    """The date of the outer case's newest entry in its dated history of ``kind``."""
    return Subquery(
        CaseMark.objects.filter(case=OuterRef("pk"), kind=kind)
        .order_by("-effective_on", "-id")
        .values("effective_on")[:1]
    )


# --- 社区矫正 --------------------------------------------------------------------------------------------


def initial_review_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """严管 for the first ``correction_initial_strict_months`` (2) months (实施办法 Art. 21): the category
    review is due on opened_on + 2 months, while the subject is active and still 严管."""
    months = rules().correction_initial_strict_months
    rows = cases.filter(kind=CaseKind.CORRECTION, status=CaseStatus.ACTIVE, category=Category.STRICT)
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "opened_on"):
        day = add_months(row["opened_on"], months)
        plans[row["pk"]] = _plan(
            DueKind.CATEGORY_REVIEW,
            f"initial:{row['pk']}",
            start_of(day),
            row,
            stage="initial",
            due_on=day.isoformat(),
        )
    return plans


def lenient_review_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """宽管 may be considered after ≥ ``category_lenient_after_months`` (6) in 普管 (docs/supervision.md,
    "Case calendar"); the date 普管 began is the newest category entry of the case's dated history."""
    months = rules().category_lenient_after_months
    rows = cases.filter(
        kind=CaseKind.CORRECTION, status=CaseStatus.ACTIVE, category=Category.NORMAL
    ).annotate(since=_latest_mark(MarkKind.CATEGORY))
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "since"):
        if row["since"] is None:
            continue
        day = add_months(row["since"], months)
        plans[row["pk"]] = _plan(
            DueKind.CATEGORY_REVIEW,
            f"lenient:{row['pk']}:{row['since']}",
            start_of(day),
            row,
            stage="lenient",
            since=row["since"].isoformat(),
            due_on=day.isoformat(),
        )
    return plans


def term_end_task_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """实施办法 Art. 53: from ``term_end_tasks_days`` (30) before the term ends, the self-summary and the
    written assessment."""
    days = rules().term_end_tasks_days
    rows = cases.filter(kind=CaseKind.CORRECTION, status=CaseStatus.ACTIVE)
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "correction__term_end"):
        end = row["correction__term_end"]
        plans[row["pk"]] = _plan(
            DueKind.TERM_END_TASKS,
            f"tasks:{row['pk']}:{end}",
            start_of(end - dt.timedelta(days=days)),
            row,
            term_end=end.isoformat(),
        )
    return plans


def release_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """解除矫正 is due on the term's last day, for cases not yet released or terminated."""
    rows = cases.filter(kind=CaseKind.CORRECTION, status__in=[CaseStatus.ACTIVE, CaseStatus.TERM_ENDED])
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "correction__term_end"):
        end = row["correction__term_end"]
        plans[row["pk"]] = _plan(
            DueKind.RELEASE_DUE, f"release:{row['pk']}:{end}", start_of(end), row, term_end=end.isoformat()
        )
    return plans


def order_plans(orders) -> dict[int, tuple[Plan, Plan]]:
    """社区矫正法 Art. 29: a location order ends after its last day (``ends_on``).  A notice
    ``order_expiry_notice_days`` (7) before that day, and a second one at the end itself.  The subject
    holds the end date, so a renewal plans anew."""
    notice = dt.timedelta(days=rules().order_expiry_notice_days)
    rows = orders.filter(  # approved only: a proposal's end is no deadline (in_force_q)
        decision="approved",
        ended_early_on__isnull=True,
        case__status__in=[CaseStatus.ACTIVE, CaseStatus.TERM_ENDED],
    )
    plans = {}
    for order_id, case_id, person_id, jurisdiction_id, ends_on in rows.values_list(
        "pk", "case_id", "person_id", "case__jurisdiction_id", "ends_on"
    ):
        subject, details = f"order:{order_id}:{ends_on}", {"order": order_id, "ends_on": ends_on.isoformat()}
        plans[order_id] = (
            Plan(
                DueKind.ORDER_EXPIRY_NOTICE,
                subject,
                start_of(ends_on - notice),
                jurisdiction_id,
                case_id,
                person_id,
                details,
            ),
            Plan(
                DueKind.ORDER_EXPIRED, subject, end_of(ends_on), jurisdiction_id, case_id, person_id, details
            ),
        )
    return plans


# --- 安置帮教 ---------------------------------------------------------------------------------------------


def pickup_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """必接必送: a key releasee (重点帮教对象) is met at the gate on the release day — by its end."""
    rows = cases.filter(
        kind=CaseKind.AFTERCARE,
        status__in=[CaseStatus.NOTIFIED, CaseStatus.ACTIVE],
        aftercare__key_person=True,
    )
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "aftercare__release_on"):
        day = row["aftercare__release_on"]
        plans[row["pk"]] = _plan(
            DueKind.AFTERCARE_PICKUP,
            f"pickup:{row['pk']}:{day}",
            end_of(day),
            row,
            release_on=day.isoformat(),
        )
    return plans


def _newest(*days: dt.date | None) -> dt.date:
    return max(d for d in days if d is not None)


def _aftercare_start(row: dict) -> dt.date:
    return row["aftercare__handed_over_on"] or row["aftercare__release_on"]


def contact_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """帮教 contact each ``aftercare_contact_days`` (90; ``aftercare_contact_days_high`` 30 for high risk)
    after the last contact, or after the hand-over (release) when there is none: due by the end of that
    day."""
    r = rules()
    rows = cases.filter(kind=CaseKind.AFTERCARE, status=CaseStatus.ACTIVE).annotate(
        last=_latest(FollowUpKind.AFTERCARE_CONTACT)
    )
    plans = {}
    for row in rows.values(
        *_CASE_FIELDS, "aftercare_risk", "aftercare__handed_over_on", "aftercare__release_on", "last"
    ):
        base = local_date(row["last"]) if row["last"] else _aftercare_start(row)
        days = (
            r.aftercare_contact_days_high
            if row["aftercare_risk"] == AftercareRisk.HIGH
            else r.aftercare_contact_days
        )
        day = base + dt.timedelta(days=days)
        plans[row["pk"]] = _plan(
            DueKind.AFTERCARE_CONTACT,
            f"contact:{row['pk']}:{day}",
            end_of(day),
            row,
            base=base.isoformat(),
            due_on=day.isoformat(),
        )
    return plans


def risk_review_plans(cases: QuerySet[Case]) -> dict[int, tuple[Plan, Plan]]:
    """帮教 risk re-assessed every ``aftercare_risk_review_months`` (6) after the last review (a review
    follow-up or an entry in the risk history), or after the hand-over: a reminder on the day, and an
    alert when it is more than ``aftercare_risk_review_grace_days`` (7) overdue (not done by the end of
    day + 7)."""
    months, grace = rules().aftercare_risk_review_months, rules().aftercare_risk_review_grace_days
    rows = cases.filter(kind=CaseKind.AFTERCARE, status=CaseStatus.ACTIVE).annotate(
        last=_latest(FollowUpKind.AFTERCARE_RISK_REVIEW), marked=_latest_mark(MarkKind.AFTERCARE_RISK)
    )
    plans = {}
    for row in rows.values(
        *_CASE_FIELDS, "aftercare__handed_over_on", "aftercare__release_on", "last", "marked"
    ):
        base = _newest(row["last"] and local_date(row["last"]), row["marked"], _aftercare_start(row))
        day = add_months(base, months)
        details = {"base": base.isoformat(), "due_on": day.isoformat()}
        plans[row["pk"]] = (
            _plan(
                DueKind.AFTERCARE_RISK_REVIEW,
                f"review:{row['pk']}:{day}",
                start_of(day),
                row,
                stage="remind",
                **details,
            ),
            _plan(
                DueKind.AFTERCARE_RISK_REVIEW,
                f"review_late:{row['pk']}:{day}",
                end_of(day + grace * DAY),
                row,
                stage="overdue",
                **details,
            ),
        )
    return plans


def period_end_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """帮教期满 (5 years after release): the officer is reminded on the day; nothing closes by itself."""
    rows = cases.filter(kind=CaseKind.AFTERCARE, status__in=[CaseStatus.NOTIFIED, CaseStatus.ACTIVE])
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "aftercare__period_end"):
        day = row["aftercare__period_end"]
        plans[row["pk"]] = _plan(
            DueKind.AFTERCARE_PERIOD_END,
            f"period_end:{row['pk']}:{day}",
            start_of(day),
            row,
            period_end=day.isoformat(),
        )
    return plans


# --- 严重精神障碍 -----------------------------------------------------------------------------------------


def mh_followup_days(risk_level: int | None) -> int:
    """工作规范 2018: stable (risk 0) → next follow-up in 3 months; basically stable or unstable → 2 weeks."""
    r = rules()
    return r.mh_followup_days_stable if risk_level == 0 else r.mh_followup_days_unstable


def mh_followup_plans(cases: QuerySet[Case]) -> dict[int, Plan]:
    """The next follow-up is due ``mh_followup_days(risk)`` after the last assessment — the newest of the
    last follow-up, the last risk-history entry and the opening — by the end of that day."""
    rows = cases.filter(kind=CaseKind.MENTAL_HEALTH, status=CaseStatus.ACTIVE).annotate(
        last=_latest(FollowUpKind.MH_FOLLOWUP), marked=_latest_mark(MarkKind.RISK_LEVEL)
    )
    plans = {}
    for row in rows.values(*_CASE_FIELDS, "risk_level", "opened_on", "last", "marked"):
        base = _newest(row["last"] and local_date(row["last"]), row["marked"], row["opened_on"])
        day = base + dt.timedelta(days=mh_followup_days(row["risk_level"]))
        plans[row["pk"]] = _plan(
            DueKind.MH_FOLLOWUP,
            f"mh:{row['pk']}:{day}",
            end_of(day),
            row,
            base=base.isoformat(),
            due_on=day.isoformat(),
            risk_level=row["risk_level"],
        )
    return plans


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return start_of(dt.date(year, 1, 1)), start_of(dt.date(year + 1, 1, 1))


def yearly_counts(case_ids: Iterable[int], year: int) -> dict[int, dict[str, int]]:
    """Follow-ups and health checks per case in one calendar year (Asia/Shanghai), in one query."""
    start, end = year_bounds(year)
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: {FollowUpKind.MH_FOLLOWUP: 0, FollowUpKind.MH_HEALTH_CHECK: 0}
    )
    rows = FollowUp.objects.filter(
        case_id__in=list(case_ids),
        kind__in=[FollowUpKind.MH_FOLLOWUP, FollowUpKind.MH_HEALTH_CHECK],
        at__gte=start,
        at__lt=end,
    ).values_list("case_id", "kind")
    for case_id, kind in rows:
        counts[case_id][kind] += 1
    return counts


def health_check_plans(cases: QuerySet[Case], year: int) -> dict[int, Plan]:
    """≥ ``mh_health_checks_per_year`` (1) health check a year: a reminder on 1 December if none yet."""
    rows = cases.filter(kind=CaseKind.MENTAL_HEALTH, status=CaseStatus.ACTIVE)
    day = dt.date(year, 12, 1)
    return {
        row["pk"]: _plan(DueKind.MH_HEALTH_CHECK, f"check:{row['pk']}:{year}", start_of(day), row, year=year)
        for row in rows.values(*_CASE_FIELDS)
    }


def emergency_plans(incidents) -> dict[int, Plan]:
    """An incident (肇事肇祸) needs its emergency-handling record within ``mh_emergency_record_hours`` (24)."""
    hours = dt.timedelta(hours=rules().mh_emergency_record_hours)
    rows = incidents.filter(kind=FollowUpKind.INCIDENT).values_list(
        "pk", "at", "case_id", "case__person_id", "case__jurisdiction_id"
    )
    return {
        pk: Plan(
            DueKind.MH_EMERGENCY_RECORD,
            f"emergency:{pk}",
            at + hours,
            jurisdiction_id,
            case_id,
            person_id,
            {"incident": pk, "incident_at": at.isoformat()},
        )
        for pk, at, case_id, person_id, jurisdiction_id in rows
    }


# --- planning --------------------------------------------------------------------------------------------


def within(plans: Iterable[Plan], low: dt.datetime | None, high: dt.datetime) -> list[Plan]:
    return [p for p in plans if p.due_at <= high and (low is None or p.due_at >= low)]


def plan_missing(plans: Iterable[Plan], *, chunk: int = 2000) -> int:
    """Plan the items that do not exist yet (in any state); returns how many were new.  Looking first
    keeps the hourly run cheap at 100,000 cases; ``plan_many`` still makes a race with a second planner
    harmless."""
    by_kind: dict[str, list[Plan]] = defaultdict(list)
    for p in plans:
        by_kind[p.kind].append(p)
    missing = []
    for kind, group in by_kind.items():
        for i in range(0, len(group), chunk):
            part = group[i : i + chunk]
            have = set(
                DueItem.objects.filter(kind=kind, subject__in=[p.subject for p in part]).values_list(
                    "subject", flat=True
                )
            )
            missing += [p for p in part if p.subject not in have]
    plan_many(missing)
    return len(missing)


def supersede(case_id: int, kind: str, plans: list[Plan], reason: str = "superseded") -> None:
    """Make ``plans`` the case's pending items of ``kind``: others pending are cancelled, these planned —
    and brought back if an earlier change had cancelled the same deadline."""
    subjects = [p.subject for p in plans]
    now = timezone.now()
    DueItem.objects.filter(case_id=case_id, kind=kind, state=DueState.PENDING).exclude(
        subject__in=subjects
    ).update(state=DueState.CANCELLED, done_at=now, outcome=reason)
    plan_many(plans)
    for p in plans:
        DueItem.objects.filter(kind=kind, subject=p.subject, state=DueState.CANCELLED).update(
            state=DueState.PENDING, due_at=p.due_at, done_at=None, outcome=""
        )
