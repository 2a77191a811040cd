"""Due items of check-in plans and of intake (报到/漏管): the planners that make them and their handlers.

Per active plan and window (plans.py): CHECKIN_OPENS at the window's first day, ``checkin_reminder_open_hour``
— an SMS reminder unless already done ("not_needed") or the moment passed more than
``reminder_stale_hours`` ago ("stale"); CHECKIN_CLOSING ``checkin_reminder_before_close_hours`` before
the end — a reminder if not yet done; CHECKIN_WINDOW_END at the end — the check-ins are counted (hours
summed) and a shortfall raises one missed_checkin alert (medium; high for in-person reports), else "ok".
A missed window alerts however late the sweep comes; only reminders go stale.  A window short while the
person spent enough of it in custody (羁押) closes as "detained" instead (custody.py).

Intake (社区矫正法 Art. 17, 实施办法 Art. 16; docs/supervision.md "Check-ins"): a correction case still 待报到 at the end
of its report deadline (Asia/Shanghai) is 漏管 — one critical missed_intake alert.

Handlers take a whole batch: one query for the plans and one for the check-ins of every item, one
``remind_people`` call; only alerts are per item (``finish_each``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from functools import cached_property

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from backend.core.rules import rules
from backend.monitoring.alerting import raise_alert
from backend.monitoring.models import AlertKind, Severity
from backend.people.models import Case, CaseKind, CaseStatus, CorrectionDetail
from backend.supervision.custody import custody_spells, excused_by_custody
from backend.supervision.due import (
    Plan,
    fast_instances,
    finish,
    finish_each,
    handler,
    mark_done,
    plan_many,
    planner,
    settler,
)
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
from backend.supervision.plans import (
    CHECKIN_DUE_KINDS,
    COUNTS_TOWARD,
    DUTY_LABELS,
    as_number,
    cancel_plan_items,
    counted,
    counted_since,
    plans_due,
    refresh_plans,
)
from backend.supervision.reminders import remind_people
from backend.supervision.windows import SHANGHAI, Window, window_by_key

CHUNK = 2000
PLAN_FIELDS = ("id", "case_id", "kind", "period", "required", "override", "active", "active_since")


# --- planning ------------------------------------------------------------------------------------------


@planner
def plan_checkins(now: dt.datetime) -> int:
    """Refresh every active correction case's default plan, then plan the current and next window of
    every active duty (the current one too when it is held against the duty: plans.counted); pending items
    of duties or cases no longer in force are cancelled."""
    _cancel_ended_cases()
    cases = Case.objects.filter(kind=CaseKind.CORRECTION, status=CaseStatus.ACTIVE).only(
        "pk", "kind", "status", "category", "jurisdiction_id", "person_id"
    )
    planned, last = 0, 0
    while chunk := list(cases.filter(pk__gt=last).order_by("pk")[:CHUNK]):
        last = chunk[-1].pk
        refresh_plans(chunk, now, plan=False)
        by_pk = {c.pk: c for c in chunk}
        rows: list[Plan] = []
        stopped: list[CheckinPlan] = []
        for plan in CheckinPlan.objects.filter(case_id__in=list(by_pk)):
            if not plan.active:
                stopped.append(plan)
                continue
            rows += plans_due(by_pk[plan.case_id], plan, now)
        # Actions cancel a stopped duty's items themselves; this catches a plan switched off any other way.
        cancel_plan_items(stopped, reason="plan_inactive")
        plan_many(rows)
        planned += len(rows)
    return planned


def _cancel_ended_cases() -> None:
    DueItem.objects.filter(kind__in=CHECKIN_DUE_KINDS, state=DueState.PENDING).exclude(
        case__status=CaseStatus.ACTIVE
    ).update(state=DueState.CANCELLED, done_at=timezone.now(), outcome="case_inactive")


# --- the check-in handlers ------------------------------------------------------------------------------


class _Batch:
    """The plans, windows and what was done so far for a batch of check-in items: one query for the plans
    and one aggregate per (duty, window) in the batch — counts (or hours) per case, computed by the
    database, so a million items never turn into a million check-in rows in Python (bench/scheduler.py)."""

    def __init__(self, items: list[DueItem]) -> None:
        plan_ids = {i.details.get("plan") for i in items} - {None}
        self.plans = {
            p.pk: p for p in fast_instances(CheckinPlan.objects.filter(pk__in=plan_ids), PLAN_FIELDS)
        }
        windows: dict[tuple[str, str], Window] = {}
        self.windows: dict[int, Window] = {}
        for item in items:
            key = (item.details["period"], item.details["window"])
            if key not in windows:
                windows[key] = window_by_key(*key)
            self.windows[item.pk] = windows[key]
        self.items = items
        live = [i for i in items if self.skip(i) is None]
        self.done: dict[int, int | Decimal] = {}
        groups: dict[tuple[str, str], list[DueItem]] = defaultdict(list)
        for item in live:
            groups[(self.plans[item.details["plan"]].kind, item.details["window"])].append(item)
        for (kind, _), group in groups.items():
            window = self.windows[group[0].pk]
            found = Checkin.objects.counting().filter(
                case_id__in={i.case_id for i in group}, kind__in=COUNTS_TOWARD[kind],
                at__gte=window.start, at__lt=window.end,
            ).values("case_id")  # fmt: skip
            measure = Sum("hours") if kind in HOUR_KINDS else Count("pk")
            totals = dict(found.annotate(total=measure).values_list("case_id", "total"))
            zero: int | Decimal = Decimal(0) if kind in HOUR_KINDS else 0
            for item in group:
                self.done[item.pk] = totals.get(item.case_id) or zero

    def skip(self, item: DueItem) -> str | None:
        """Why an item no longer applies, or None."""
        plan = self.plans.get(item.details.get("plan"))
        case = item.case
        if plan is None or not plan.active or case is None or case.status != CaseStatus.ACTIVE:
            return "inactive"
        if plan.period != item.details["period"]:
            return "plan_changed"
        if not counted(plan, self.windows[item.pk]):
            return "grace"
        return None

    @cached_property
    def custody(self) -> dict:
        """Custody spells of the batch's cases, loaded only by the window-end handler."""
        return custody_spells({i.case_id for i in self.items if i.case_id is not None})

    def excused(self, item: DueItem) -> bool:
        """A short window the person spent enough of in custody (custody.py): no missed_checkin."""
        return excused_by_custody(self.custody.get(item.case_id), self.windows[item.pk])

    def plan(self, item: DueItem) -> CheckinPlan:
        return self.plans[item.details["plan"]]

    def satisfied(self, item: DueItem) -> bool:
        return self.done[item.pk] >= self.plan(item).required


def _need(plan: CheckinPlan) -> str:
    return f"不少于{plan.required}小时" if plan.kind in HOUR_KINDS else f"{plan.required}次"


def _done_text(plan: CheckinPlan, done: int | Decimal) -> str:
    unit = "小时" if plan.kind in HOUR_KINDS else "次"
    return f"{as_number(done)}/{plan.required}{unit}"


def opening_text(item: DueItem, plan: CheckinPlan, window: Window) -> str:
    return (
        f"【签到提醒】{window.label()}请按要求完成{DUTY_LABELS[plan.kind]}（{_need(plan)}）。"
        f"案件编号 {item.case.number}，如有疑问请联系司法所。"
    )


def closing_text(item: DueItem, plan: CheckinPlan, window: Window, done: int | Decimal) -> str:
    last = (window.end.astimezone(SHANGHAI) - dt.timedelta(days=1)).date()
    return (
        f"【签到提醒】{window.label()}的{DUTY_LABELS[plan.kind]}将于{last.month}月{last.day}日24时截止，"
        f"目前已完成{_done_text(plan, done)}，请尽快完成。案件编号 {item.case.number}。"
    )


def _remind(items: list[DueItem], now: dt.datetime, *, closing: bool) -> None:
    batch = _Batch(items)
    stale_after = dt.timedelta(hours=rules().reminder_stale_hours)
    outcomes: dict[str, list[DueItem]] = defaultdict(list)
    texts: list[tuple[DueItem, str]] = []
    for item in items:
        reason = batch.skip(item)
        if reason is None and now - item.due_at > stale_after:
            reason = "stale"  # the scheduler was down: a reminder this late would only confuse
        if reason is None and batch.satisfied(item):
            reason = "not_needed"
        if reason is not None:
            outcomes[reason].append(item)
            continue
        plan, window = batch.plan(item), batch.windows[item.pk]
        text = (
            closing_text(item, plan, window, batch.done[item.pk])
            if closing
            else opening_text(item, plan, window)
        )
        texts.append((item, text))
    with transaction.atomic():
        if texts:
            queued = remind_people(texts, title="签到提醒")
            outcomes["reminded" if queued else "no_sms"] += [item for item, _ in texts]
        for outcome, group in outcomes.items():
            finish(group, outcome, now)


@handler(DueKind.CHECKIN_OPENS)
def handle_opens(items: list[DueItem], now: dt.datetime) -> None:
    _remind(items, now, closing=False)


@handler(DueKind.CHECKIN_CLOSING)
def handle_closing(items: list[DueItem], now: dt.datetime) -> None:
    _remind(items, now, closing=True)


SETTLE_CHUNK = 50_000  # finishes per transaction: short enough not to hold SQLite's write lock for long


def _pending_checkin_items(now: dt.datetime, fresh_after: dt.datetime) -> list[tuple]:
    """(id, kind, due at or after ``fresh_after``, case id, subject) of every pending check-in item due by
    ``now``.  A plain cursor: converting a million due times into datetimes through the ORM cost more than
    reading them, and the one comparison needed is done by the database."""
    table, kinds = DueItem._meta.db_table, sorted(CHECKIN_DUE_KINDS)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, CASE WHEN due_at >= %s THEN 1 ELSE 0 END, case_id, subject FROM {table} "  # noqa: S608
            f"WHERE state = %s AND due_at <= %s AND kind IN ({', '.join(['%s'] * len(kinds))})",
            [adapt(fresh_after), DueState.PENDING, adapt(now), *kinds],
        )
        return cursor.fetchall()


@settler
def settle_met_duties(now: dt.datetime) -> dict[str, int]:
    """The set-based half of the three check-in handlers: items whose duty is already met in their window
    (and whose plan, case and window still count) are finished together — reminders as "not_needed"
    (unless stale, which the handler labels), window ends as "ok".  Everything else — unmet, stale,
    inactive, changed — is left for the handlers above.  One pass over the due items as plain tuples (no
    JSON: the subject "plan:<id>:<window>" carries both), one query for the plans, one count per (duty,
    window) done by the database, and the finishes written in id order — bench/scheduler.py: most of a
    million items are of this kind, and handling each as an object was most of the sweep's time."""
    fresh_after = now - dt.timedelta(hours=rules().reminder_stale_hours)
    by_window: dict[str, list[tuple[int, str, bool, int, int]]] = defaultdict(list)
    for pk, kind, fresh, case_id, subject in _pending_checkin_items(now, fresh_after):
        tag, plan_id, key = [*subject.split(":", 2), "", ""][:3]
        if tag == "plan" and plan_id.isdigit() and key:
            by_window[key].append((pk, kind, bool(fresh), case_id, int(plan_id)))
    if not by_window:
        return {}
    plan_ids = {row[4] for rows in by_window.values() for row in rows}
    plans = {}
    for start in range(0, len(plan_ids), 20_000):
        chunk = list(plan_ids)[start : start + 20_000]
        plans.update({p[0]: p for p in CheckinPlan.objects.filter(pk__in=chunk, active=True, case__status=CaseStatus.ACTIVE)
                      .values_list("pk", "kind", "period", "required", "active_since")})  # fmt: skip
    settled: dict[str, int] = defaultdict(int)
    finished: list[tuple[int, str, str]] = []  # (id, outcome, kind)
    for key, rows in by_window.items():
        period = Period.WEEK if "-W" in key else Period.MONTH
        window = window_by_key(period, key)
        wanted: dict[str, set[int]] = defaultdict(set)  # duty → cases whose counts matter
        for _, _, _, case_id, plan_id in rows:
            plan = plans.get(plan_id)
            if plan is not None and plan[2] == period and counted_since(plan[4], window):
                wanted[plan[1]].add(case_id)
        done: dict[tuple[str, int], int | Decimal] = {}
        for duty, cases in wanted.items():
            measure = Sum("hours") if duty in HOUR_KINDS else Count("pk")
            found = Checkin.objects.counting().filter(
                kind__in=COUNTS_TOWARD[duty], at__gte=window.start, at__lt=window.end
            )
            for case_id, total in (
                found.values("case_id").annotate(total=measure).values_list("case_id", "total")
            ):
                if case_id in cases:
                    done[(duty, case_id)] = total
        for pk, kind, fresh, case_id, plan_id in rows:
            plan = plans.get(plan_id)
            if plan is None or plan[2] != period or not counted_since(plan[4], window):
                continue  # inactive, changed or grace: the handler says which
            if (done.get((plan[1], case_id)) or 0) < plan[3]:
                continue  # unmet: a reminder or an alert
            if kind == DueKind.CHECKIN_WINDOW_END:
                finished.append((pk, "ok", kind))
            elif fresh:
                finished.append((pk, "not_needed", kind))
    # Written in id order, SETTLE_CHUNK rows to a transaction: a window's items are spread over every page
    # of the table, so a transaction per window rewrote each page (and its WAL copy) once per window.
    finished.sort()
    for start in range(0, len(finished), SETTLE_CHUNK):
        by_outcome: dict[tuple[str, str], list[int]] = defaultdict(list)
        for pk, outcome, kind in finished[start : start + SETTLE_CHUNK]:
            by_outcome[(outcome, kind)].append(pk)
        with transaction.atomic():
            for (outcome, kind), ids in by_outcome.items():
                settled[kind] += mark_done(ids, outcome, now)
    return dict(settled)


@handler(DueKind.CHECKIN_WINDOW_END)
def handle_window_end(items: list[DueItem], now: dt.datetime) -> None:
    batch = _Batch(items)
    outcomes: dict[str, list[DueItem]] = defaultdict(list)
    missed: list[DueItem] = []
    for item in items:
        reason = batch.skip(item) or ("ok" if batch.satisfied(item) else None)
        if reason is None and batch.excused(item):
            reason = "detained"
        if reason is None:
            missed.append(item)
        else:
            outcomes[reason].append(item)
    with transaction.atomic():
        for outcome, group in outcomes.items():
            finish(group, outcome, now)

    def alert(item: DueItem) -> str:
        plan, window = batch.plan(item), batch.windows[item.pk]
        severity = Severity.HIGH if plan.kind == CheckinKind.IN_PERSON else Severity.MEDIUM
        found, _ = raise_alert(
            kind=AlertKind.MISSED_CHECKIN, severity=severity, person=item.person, case=item.case,
            subject=f"plan:{plan.pk}:{window.key}", at=window.end,
            details={"plan": plan.pk, "kind": plan.kind, "window": window.key, "required": plan.required,
                     "done": as_number(batch.done[item.pk]), "start": window.start.isoformat(),
                     "end": window.end.isoformat()},
        )  # fmt: skip
        return f"alert:{found.pk}"

    finish_each(missed, alert, now)


# --- intake (报到期限, 漏管) -------------------------------------------------------------------------------


def intake_due_at(report_deadline: dt.date) -> dt.datetime:
    """The end of the deadline day in Asia/Shanghai: reporting on the last day is still in time."""
    return dt.datetime.combine(report_deadline + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI)


@planner
def plan_intake(now: dt.datetime) -> int:
    """An INTAKE_DEADLINE item for every correction case waiting for its report (待报到)."""
    pending = Case.objects.filter(kind=CaseKind.CORRECTION, status=CaseStatus.PENDING_REPORT).values_list(
        "pk", "jurisdiction_id", "person_id", "correction__report_deadline"
    )
    rows = [
        Plan(DueKind.INTAKE_DEADLINE, f"case:{pk}", intake_due_at(deadline), jurisdiction_id, pk, person_id,
             {"report_deadline": deadline.isoformat()})
        for pk, jurisdiction_id, person_id, deadline in pending if deadline is not None
    ]  # fmt: skip
    plan_many(rows)
    # A corrected deadline moves the item that is still waiting.
    wanted = {p.subject: p.due_at for p in rows}
    for subject, due_at in DueItem.objects.filter(
        kind=DueKind.INTAKE_DEADLINE, state=DueState.PENDING
    ).values_list("subject", "due_at"):
        if subject in wanted and wanted[subject] != due_at:
            DueItem.objects.filter(
                kind=DueKind.INTAKE_DEADLINE, subject=subject, state=DueState.PENDING
            ).update(due_at=wanted[subject])
    return len(rows)


@handler(DueKind.INTAKE_DEADLINE)
def handle_intake(items: list[DueItem], now: dt.datetime) -> None:
    details = CorrectionDetail.objects.in_bulk([i.case_id for i in items if i.case_id])
    outcomes: dict[str, list[DueItem]] = defaultdict(list)
    missed: list[DueItem] = []
    for item in items:
        case, detail = item.case, details.get(item.case_id)
        if case is None or detail is None:
            outcomes["closed"].append(item)
        elif case.status != CaseStatus.PENDING_REPORT:
            reported = detail.reported_on is not None or case.status != CaseStatus.TERMINATED
            outcomes["reported" if reported else "closed"].append(item)
        elif now < intake_due_at(detail.report_deadline):
            outcomes["moved"].append(item)
        else:
            missed.append(item)
    with transaction.atomic():
        for outcome, group in outcomes.items():
            if outcome == "moved":
                for item in group:  # back to waiting, at the deadline as it now stands
                    DueItem.objects.filter(pk=item.pk, state=DueState.CLAIMED, claimed_by=item.claimed_by).update(
                        state=DueState.PENDING, due_at=intake_due_at(details[item.case_id].report_deadline),
                        claimed_by="", lease_until=None,
                    )  # fmt: skip
            else:
                finish(group, outcome, now)

    def alert(item: DueItem) -> str:
        deadline = details[item.case_id].report_deadline
        found, _ = raise_alert(
            kind=AlertKind.MISSED_INTAKE, severity=Severity.CRITICAL, person=item.person, case=item.case,
            subject=f"case:{item.case_id}", at=intake_due_at(deadline),
            details={"case": item.case_id, "report_deadline": deadline.isoformat()},
        )  # fmt: skip
        return f"alert:{found.pk}"

    finish_each(missed, alert, now)
