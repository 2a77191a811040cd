"""Check-in plans (报告/签到计划): the default duties per category, the windows they are counted in, and
keeping each active correction case's plan rows in line with its category.

Duties per category (分类管理, docs/supervision.md "Check-ins"; the numbers are in
``backend/core/rules.py``): 严管 = in person weekly + written weekly + education ≥ 12 h a month + community
service ≥ 12 h a month; 普管 = in person monthly + phone/app weekly; 宽管 = in person monthly.  A case
without a category yet counts as 严管 (new subjects are 严管 for their first months).

Windows are ISO weeks from Monday 00:00 or calendar months, on the Asia/Shanghai wall clock, end exclusive.
The window in which a duty comes into force (``CheckinPlan.active_since``) is held against it when at least
``checkin_first_window_min_share`` of it is left — planned at once, its opening reminder sent when the duty
comes into force — and is otherwise a grace window (the first window counted is the next one); the planner,
the handlers and compliance all ask ``counted``.  Rows an officer overrode (``override=True``) are never
touched here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.rules import rules
from backend.people.models import Case, CaseKind, CaseStatus, Category
from backend.supervision.custody import custody_spells, excused_by_custody
from backend.supervision.due import Plan, plan_for_case, plan_many
from backend.supervision.models import (
    HOUR_KINDS,
    Checkin,
    CheckinKind,
    CheckinPlan,
    DueItem,
    DueKind,
    DueState,
    Period,
)
from backend.supervision.windows import Window, window_by_key, window_of, windows_overlapping

CHECKIN_DUE_KINDS = (DueKind.CHECKIN_OPENS, DueKind.CHECKIN_CLOSING, DueKind.CHECKIN_WINDOW_END)
# Which check-ins count toward a duty: the 普管 "phone/app" report is met by a call or an app check-in.
COUNTS_TOWARD: dict[str, tuple[str, ...]] = {
    CheckinKind.PHONE: (CheckinKind.PHONE, CheckinKind.APP),
    CheckinKind.APP: (CheckinKind.APP,),
    CheckinKind.IN_PERSON: (CheckinKind.IN_PERSON,),
    CheckinKind.WRITTEN: (CheckinKind.WRITTEN,),
    CheckinKind.EDUCATION: (CheckinKind.EDUCATION,),
    CheckinKind.COMMUNITY_SERVICE: (CheckinKind.COMMUNITY_SERVICE,),
}
DUTY_LABELS = {
    CheckinKind.APP: "手机签到",
    CheckinKind.PHONE: "电话或手机报告",
    CheckinKind.IN_PERSON: "当面报到",
    CheckinKind.WRITTEN: "书面报告",
    CheckinKind.EDUCATION: "教育学习",
    CheckinKind.COMMUNITY_SERVICE: "社区服务",
}


@dataclass(frozen=True)
class Duty:
    kind: str
    period: str
    required: int


def default_duties(category: str) -> dict[str, Duty]:
    """The duties a category carries by default, by kind."""
    r = rules()
    W, M, K = Period.WEEK, Period.MONTH, CheckinKind
    if category == Category.NORMAL:
        duties = [
            Duty(K.IN_PERSON, M, r.duty_normal_in_person_per_month),
            Duty(K.PHONE, W, r.duty_normal_phone_per_week),
        ]
    elif category == Category.LENIENT:
        duties = [Duty(K.IN_PERSON, M, r.duty_lenient_in_person_per_month)]
    else:  # 严管, and a case not yet categorised
        duties = [
            Duty(K.IN_PERSON, W, r.duty_strict_in_person_per_week),
            Duty(K.WRITTEN, W, r.duty_strict_written_per_week),
            Duty(K.EDUCATION, M, r.duty_strict_education_hours_per_month),
            Duty(K.COMMUNITY_SERVICE, M, r.duty_strict_service_hours_per_month),
        ]  # fmt: skip
    # A province may set a duty to 0: then it is no duty at all.
    return {d.kind: d for d in duties if d.required > 0}


# --- windows -------------------------------------------------------------------------------------------


def counted(plan: CheckinPlan, window: Window) -> bool:
    """Whether a window is held against the duty (see `counted_since`)."""
    return counted_since(plan.active_since, window)


def counted_since(active_since: dt.datetime | None, window: Window) -> bool:
    """Whether a window is held against a duty in force since ``active_since``: every window from then on,
    and the window it came into force in when at least ``checkin_first_window_min_share`` of it was left —
    otherwise that one is a grace window (宽限), as is any window before."""
    if active_since is None or active_since <= window.start:
        return True
    if active_since >= window.end:
        return False
    left = (window.end - active_since) / (window.end - window.start)
    return left >= rules().checkin_first_window_min_share


def opens_at(window: Window, active_since: dt.datetime | None = None) -> dt.datetime:
    """The opening reminder's moment: the window's first day at the opening hour — or, in the window the
    duty came into force in after that, the moment it did (the reminder that the duty begins)."""
    opening = window.start.replace(hour=rules().checkin_reminder_open_hour)
    if active_since is not None and opening < active_since < window.end:
        return active_since
    return opening


def closing_at(window: Window) -> dt.datetime:
    return window.end - dt.timedelta(hours=rules().checkin_reminder_before_close_hours)


def tally(plan_kind: str, rows: Iterable[tuple[str, Decimal | None]]) -> int | Decimal:
    """Check-ins counted, or hours summed for education and community service."""
    rows = [r for r in rows if r[0] in COUNTS_TOWARD[plan_kind]]
    if plan_kind in HOUR_KINDS:
        return sum((hours or Decimal(0) for _, hours in rows), Decimal(0))
    return len(rows)


def as_number(value: int | Decimal) -> int | float:
    return value if isinstance(value, int) else (int(value) if value == value.to_integral() else float(value))


# --- due items of a plan's windows ----------------------------------------------------------------------


def plans_for_window(case: Case, plan: CheckinPlan, window: Window) -> list[Plan]:
    subject = f"plan:{plan.pk}:{window.key}"
    details = {"plan": plan.pk, "duty": plan.kind, "period": plan.period, "window": window.key}
    opening = opens_at(window, plan.active_since)
    items = [plan_for_case(case, DueKind.CHECKIN_OPENS, subject, opening, **details)]
    if closing_at(window) > opening:  # a province's long lead time (or a late start) must not remind twice
        items.append(plan_for_case(case, DueKind.CHECKIN_CLOSING, subject, closing_at(window), **details))
    items.append(plan_for_case(case, DueKind.CHECKIN_WINDOW_END, subject, window.end, **details))
    return items


def plans_due(case: Case, plan: CheckinPlan, now: dt.datetime) -> list[Plan]:
    """The items of an active duty's current and next window, those held against it (``counted``)."""
    if not plan.active:
        return []
    current = window_of(plan.period, now)
    return [
        item
        for w in (current, current.next())
        if counted(plan, w)
        for item in plans_for_window(case, plan, w)
    ]


def plan_now(cases: Iterable[Case], now: dt.datetime) -> int:
    """Plan the current and next windows of these cases' active duties at once (a plan made or changed):
    the hourly planner would do the same within the hour, idempotently."""
    by_pk = {c.pk: c for c in cases}
    rows = [
        item
        for plan in CheckinPlan.objects.filter(case_id__in=list(by_pk), active=True)
        for item in plans_due(by_pk[plan.case_id], plan, now)
    ]
    plan_many(rows)
    return len(rows)


# --- keeping plan rows in line with the category -------------------------------------------------------

_FIELDS = ("period", "required", "active", "active_since")


def _wanted(case_category: str, row: CheckinPlan | None, kind: str, now: dt.datetime) -> dict | None:
    """The values a default row should have, or None when it is right as it is."""
    duty = default_duties(case_category).get(kind)
    if duty is None:
        if row is None or not row.active:
            return None
        return {"active": False}
    if row is None:
        return {"period": duty.period, "required": duty.required, "active": True, "active_since": now}
    changes: dict = {}
    if row.period != duty.period or not row.active:
        # A new period (weekly → monthly) or a duty back in force starts with a grace window again.
        changes.update(period=duty.period, active=True, active_since=now)
    if row.required != duty.required:
        changes["required"] = duty.required
    return changes or None


def refresh_plans(cases: Iterable[Case], now: dt.datetime | None = None, *, plan: bool = True) -> int:
    """Create or refresh the default rows of these cases (active correction cases only; overridden rows
    are kept).  Pending due items of a duty that ended or changed its period are cancelled, and — unless
    ``plan`` is False (the hourly planner plans every case itself) — the changed cases' current windows are
    planned at once.  Returns the number of cases whose rows changed; each such change writes one audit row."""
    now = now or timezone.now()
    cases = [c for c in cases if c.kind == CaseKind.CORRECTION and c.status == CaseStatus.ACTIVE]
    if not cases:
        return 0
    rows: dict[int, dict[str, CheckinPlan]] = {c.pk: {} for c in cases}
    for plan in CheckinPlan.objects.filter(case_id__in=list(rows)):
        rows[plan.case_id][plan.kind] = plan
    default_kinds = {k for cat in Category.values for k in default_duties(cat)}
    changes = []
    for case in cases:
        created, updated, stopped = [], [], []
        for kind in sorted(default_kinds | {k for k, p in rows[case.pk].items() if not p.override}):
            row = rows[case.pk].get(kind)
            if row is not None and row.override:
                continue
            wanted = _wanted(case.category, row, kind, now)
            if wanted is None:
                continue
            if row is None:
                created.append(CheckinPlan(case=case, kind=kind, **wanted))
                continue
            if "period" in wanted or wanted.get("active") is False:
                stopped.append(row)
            for key, value in {**wanted, "updated_at": now}.items():
                setattr(row, key, value)
            updated.append(row)
        if created or updated:
            changes.append((case, created, updated, stopped))
    if not changes:
        return 0  # the usual hourly case: no transaction, so no write lock either
    with transaction.atomic():
        for case, created, updated, stopped in changes:
            # Another planner (or a page refreshing the same case) may have made the row meanwhile.
            CheckinPlan.objects.bulk_create(created, ignore_conflicts=True)
            CheckinPlan.objects.bulk_update(updated, [*_FIELDS, "updated_at"])
            cancel_plan_items(stopped, reason="plan_changed")
            record_audit(
                actor=None, actor_label="system:checkin_plans", action=AuditAction.CHECKIN_PLAN_REFRESH, target=case,
                details={"category": case.category or Category.STRICT, "created": sorted(p.kind for p in created),
                         "updated": sorted(p.kind for p in updated)},
            )  # fmt: skip
        if plan:
            plan_now([case for case, *_ in changes], now)
    return len(changes)


def ensure_default_plan(case: Case, now: dt.datetime | None = None) -> list[CheckinPlan]:
    """The case's plan rows, with the category defaults created or refreshed first (override rows kept).
    Only active correction cases get plans; for any other case this returns its rows unchanged."""
    refresh_plans([case], now)
    return list(CheckinPlan.objects.filter(case=case).order_by("kind"))


def cancel_plan_items(plans: Iterable[CheckinPlan], *, reason: str) -> int:
    """Cancel the pending check-in items of these plans (a duty ended, or its period changed)."""
    plans = list(plans)
    if not plans:
        return 0
    # The case filter lets the (case, due_at) index do the work; the plan id narrows it to the duty.
    return DueItem.objects.filter(
        case_id__in={p.case_id for p in plans}, kind__in=CHECKIN_DUE_KINDS, state=DueState.PENDING,
        details__plan__in=[p.pk for p in plans],
    ).update(state=DueState.CANCELLED, done_at=timezone.now(), outcome=reason[:64])  # fmt: skip


# --- compliance ----------------------------------------------------------------------------------------


def compliance(case: Case, month: str, now: dt.datetime | None = None) -> list[dict]:
    """Per active duty and per window overlapping the month (a week across the month's edge is shown
    whole): required, done and a status — met / missed / open (in progress) / future / grace / custody
    (over, short, and excused by days in custody: custody.py)."""
    now = now or timezone.now()
    month_window = window_by_key(Period.MONTH, month)
    plans = list(CheckinPlan.objects.filter(case=case, active=True).order_by("kind"))
    windows = {p.pk: windows_overlapping(p.period, month_window.start, month_window.end) for p in plans}
    spans = [w for ws in windows.values() for w in ws]
    rows: list[tuple[str, dt.datetime, Decimal | None]] = []
    if spans:
        rows = list(
            Checkin.objects.counting()
            .filter(case=case, at__gte=min(w.start for w in spans), at__lt=max(w.end for w in spans))
            .values_list("kind", "at", "hours")
        )
    spells = custody_spells({case.pk}).get(case.pk)
    result = []
    for plan in plans:
        out = []
        for window in windows[plan.pk]:
            done = tally(plan.kind, [(k, h) for k, at, h in rows if window.start <= at < window.end])
            if done >= plan.required:
                status = "met"
            elif not counted(plan, window):
                status = "grace"  # not held against the duty, running or over: the planner leaves it alone
            elif window.start > now:
                status = "future"
            elif window.end > now:
                status = "open"
            else:
                status = "custody" if excused_by_custody(spells, window) else "missed"
            out.append({"window": window.key, "start": window.start, "end": window.end,
                        "required": plan.required, "done": as_number(done), "status": status})  # fmt: skip
        result.append({"plan_id": plan.pk, "kind": plan.kind, "period": plan.period, "required": plan.required,
                       "override": plan.override, "windows": out})  # fmt: skip
    return result
