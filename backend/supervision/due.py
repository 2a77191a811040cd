"""Planning due items and the registry of what happens when one comes due.

``plan`` / ``plan_many`` create items idempotently — (kind, subject) is unique, so the hourly planner,
an action and a second scheduler planning the same deadline make one row.  ``replan`` moves a pending
item (a follow-up done early moves the next one).  A handler takes a batch of claimed items of its kind and
must ``finish`` each one in the same transaction as its effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from backend.supervision.models import DueItem, DueState

Handler = Callable[[list[DueItem], dt.datetime], None]
HANDLERS: dict[str, Handler] = {}
Planner = Callable[[dt.datetime], int]
PLANNERS: list[Planner] = []
Settler = Callable[[dt.datetime], dict[str, int]]
SETTLERS: list[Settler] = []


def settler(fn: Settler) -> Settler:
    """Register ``fn(now) -> {kind: items finished}``: run at the start of every sweep, it finishes in SQL,
    set-based, the due items of its kinds that need nothing done (a duty already met), so that only the
    items with an effect are claimed and handled one batch at a time.  It must finish exactly what its
    kinds' handlers would finish with no effect, with the same outcome, and only pending items."""
    SETTLERS.append(fn)
    return fn


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn(items, now)`` for one due kind."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def planner(fn: Planner) -> Planner:
    """Register ``fn(now) -> items planned``: run hourly by the scheduler (and by tests), it makes sure every
    deadline of its area for the coming weeks has its due item.  Must be idempotent (``plan_many`` is)."""
    PLANNERS.append(fn)
    return fn


def run_planners(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(fn(now) for fn in PLANNERS)


@dataclass
class Plan:
    kind: str
    subject: str
    due_at: dt.datetime
    jurisdiction_id: int
    case_id: int | None = None
    person_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def row(self) -> DueItem:
        return DueItem(kind=self.kind, subject=self.subject, due_at=self.due_at, jurisdiction_id=self.jurisdiction_id,
                       case_id=self.case_id, person_id=self.person_id, details=self.details)  # fmt: skip


def plan_for_case(case, kind: str, subject: str, due_at: dt.datetime, **details: Any) -> Plan:
    return Plan(kind, subject, due_at, case.jurisdiction_id, case.pk, case.person_id, details)


def plan_many(plans: Iterable[Plan], *, batch_size: int = 2000) -> None:
    """Create the items that do not exist yet; existing ones are left as they are."""
    DueItem.objects.bulk_create([p.row() for p in plans], ignore_conflicts=True, batch_size=batch_size)


def plan(p: Plan) -> DueItem:
    plan_many([p])
    return DueItem.objects.get(kind=p.kind, subject=p.subject)


def replan(kind: str, subject: str, due_at: dt.datetime) -> int:
    """Move a pending item to a new time; done or claimed items keep theirs."""
    return DueItem.objects.filter(kind=kind, subject=subject, state=DueState.PENDING).update(due_at=due_at)


def cancel(kind: str, subject: str, reason: str = "cancelled") -> int:
    return DueItem.objects.filter(kind=kind, subject=subject, state=DueState.PENDING).update(
        state=DueState.CANCELLED, done_at=timezone.now(), outcome=reason[:64]
    )


def mark_done(ids: list[int], outcome: str, now: dt.datetime, *, claimed_by: str | None = None) -> int:
    """Set items done with ``outcome``: claimed ones only under their claim token, else pending ones.  Ids
    are integers from the database, inlined: binding a million parameters one by one through the ORM
    cost more than the update itself (bench/scheduler.py).  Call inside the transaction of the effect."""
    table, done = DueItem._meta.db_table, 0
    state, extra = (DueState.CLAIMED, [claimed_by]) if claimed_by is not None else (DueState.PENDING, [])
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 5000):
            inlined = ",".join(str(int(i)) for i in ids[start : start + 5000])
            cursor.execute(
                f"UPDATE {table} SET state = %s, done_at = %s, outcome = %s WHERE state = %s "  # noqa: S608
                f"{'AND claimed_by = %s ' if claimed_by is not None else ''}AND id IN ({inlined})",
                [DueState.DONE, connection.ops.adapt_datetimefield_value(now), outcome[:64], state, *extra],
            )
            done += cursor.rowcount
    return done


def finish(items: DueItem | list[DueItem], outcome: str, now: dt.datetime | None = None) -> int:
    """Mark claimed items done — only while the claim is still ours (a lease taken over is not finished
    twice).  Call inside the transaction that made the item's effect."""
    items = [items] if isinstance(items, DueItem) else items
    now = now or timezone.now()
    return sum(
        mark_done([i.pk for i in items if i.claimed_by == token], outcome, now, claimed_by=token)
        for token in {i.claimed_by for i in items}
    )


def finish_each(
    items: list[DueItem], act: Callable[[DueItem], str], now: dt.datetime, *, per_commit: int = 100
) -> None:
    """For handlers whose effect is per item (an alert): each item finished with its effect, up to
    ``per_commit`` items to a transaction — a commit per alert was most of a large sweep's time.  If one
    item's effect fails, its whole group rolls back and is retried when the lease runs out."""
    for start in range(0, len(items), per_commit):
        with transaction.atomic():
            for item in items[start : start + per_commit]:
                finish(item, act(item), now)


def fast_instances(queryset, fields: tuple[str, ...]) -> list:
    """Model instances from a values query without ``Model.__init__`` — for the sweep's hot path, where a
    million items made instance creation a large part of the time.  Only ``fields`` are loaded; any other field
    loads from the database on first access, as with ``only()``."""
    from django.db.models.base import ModelState

    model, db = queryset.model, queryset.db
    out = []
    for row in queryset.values_list(*fields):
        obj = model.__new__(model)
        obj._state = ModelState()
        obj._state.adding, obj._state.db = False, db
        obj.__dict__.update(zip(fields, row, strict=True))
        out.append(obj)
    return out
