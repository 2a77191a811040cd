"""The due-item sweep (``runscheduler`` every 30 s): claim what is due, hand it to its handler.

Claims are one conditional UPDATE per batch over rows still pending (or whose claim's lease ran out), so
two schedulers — or one restarted after a crash — never act on an item twice; each handler finishes its
items in the same transaction as their effect.  After downtime the sweep simply finds everything whose
time has passed and works through it, oldest first.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter, defaultdict

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from backend.monitoring import alerting
from backend.people.models import Case, Person
from backend.supervision.due import HANDLERS, SETTLERS, fast_instances
from backend.supervision.models import DueItem, DueState

logger = logging.getLogger("anbang.supervision")
LEASE = dt.timedelta(minutes=10)


# What handlers read of an item; the rest (done_at, outcome, created_at) loads on access if ever needed.
CLAIMED_FIELDS = ("id", "kind", "subject", "case_id", "person_id", "jurisdiction_id", "due_at", "state",
                  "claimed_by", "details")  # fmt: skip


def claim(limit: int, now: dt.datetime) -> list[DueItem]:
    """Claim up to ``limit`` items — pending and due, or claimed by a sweep whose lease ran out — oldest
    first, with their cases (and officers) and their persons (and jurisdictions) loaded in one query each.
    Persons carry only what an alert needs; their encrypted fields load (and decrypt) on access."""
    token = uuid.uuid4().hex[:16]
    pending = Q(state=DueState.PENDING, due_at__lte=now)
    stale = Q(state=DueState.CLAIMED, lease_until__lt=now)
    with transaction.atomic():
        # PostgreSQL: rows another sweep is claiming right now are skipped, not waited for (and then found
        # taken, which would end this sweep early).  SQLite: the write lock serialises claims anyway.
        pick = DueItem.objects.select_for_update(skip_locked=True)
        ids = list(pick.filter(pending).order_by("due_at", "pk").values_list("pk", flat=True)[:limit])
        if len(ids) < limit:
            ids += pick.filter(stale).values_list("pk", flat=True)[: limit - len(ids)]
        if not ids:
            return []
        table = DueItem._meta.db_table
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:  # ids are integers from the query above, inlined (see due.finish)
            cursor.execute(
                f"UPDATE {table} SET state = %s, claimed_by = %s, lease_until = %s "  # noqa: S608
                f"WHERE id IN ({','.join(str(int(i)) for i in ids)}) AND (state = %s AND due_at <= %s "
                f"OR state = %s AND lease_until < %s)",
                [DueState.CLAIMED, token, adapt(now + LEASE), DueState.PENDING, adapt(now), DueState.CLAIMED,
                 adapt(now)],
            )  # fmt: skip
            taken = cursor.rowcount
    if not taken:
        return []
    rows = DueItem.objects.filter(claimed_by=token, state=DueState.CLAIMED).order_by("due_at", "pk")
    items = fast_instances(rows, CLAIMED_FIELDS)
    cases = Case.objects.select_related("officer").in_bulk(
        {i.case_id for i in items if i.case_id is not None}
    )
    persons = (
        Person.objects.only("id", "jurisdiction")
        .select_related("jurisdiction")
        .in_bulk({i.person_id for i in items if i.person_id is not None})
    )
    for item in items:
        if item.case_id is not None:
            item.case = cases[item.case_id]
        if item.person_id is not None:
            item.person = persons[item.person_id]
    return items


def sweep(now: dt.datetime | None = None, *, batch: int = 5000, max_batches: int | None = None) -> Counter:
    """Handle everything due at ``now``.  Returns items handled per kind."""
    now = now or timezone.now()
    handled: Counter = Counter()
    for settle in SETTLERS:
        try:
            handled.update(settle(now))
        except Exception:  # the claimed path below handles the same items, only slower
            logger.exception("批量结清到期事项失败，改为逐批处理")
    batches = 0
    while max_batches is None or batches < max_batches:
        items = claim(batch, now)
        if not items:
            break
        batches += 1
        by_kind: dict[str, list[DueItem]] = defaultdict(list)
        for item in items:
            by_kind[item.kind].append(item)
        for kind, group in by_kind.items():
            fn = HANDLERS.get(kind)
            if fn is None:
                logger.error("到期事项类型 %s 没有处理程序（%d 条），租约到期后重试", kind, len(group))
                continue
            try:
                with alerting.batch():  # thousands of alerts to the same few offices
                    fn(group, now)
            except Exception:
                # The claim's lease runs out and the items are retried; one kind's bug does not stop the others.
                logger.exception("处理到期事项 %s 失败（%d 条）", kind, len(group))
                continue
            handled[kind] += len(group)
    return handled
