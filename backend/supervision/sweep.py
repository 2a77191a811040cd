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

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.supervision.due import HANDLERS
from backend.supervision.models import DueItem, DueState

logger = logging.getLogger("anbang.supervision")
LEASE = dt.timedelta(minutes=10)


def claim(limit: int, now: dt.datetime) -> list[DueItem]:
    due = Q(state=DueState.PENDING, due_at__lte=now) | Q(state=DueState.CLAIMED, lease_until__lt=now)
    pending = DueItem.objects.filter(state=DueState.PENDING, due_at__lte=now).order_by("due_at", "pk")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    if len(ids) < limit:
        stale = DueItem.objects.filter(state=DueState.CLAIMED, lease_until__lt=now)
        ids += stale.values_list("pk", flat=True)[: limit - len(ids)]
    if not ids:
        return []
    token = uuid.uuid4().hex[:16]
    with transaction.atomic():
        taken = DueItem.objects.filter(due, pk__in=ids).update(
            state=DueState.CLAIMED, claimed_by=token, lease_until=now + LEASE
        )
    if not taken:
        return []
    return list(
        DueItem.objects.filter(claimed_by=token, state=DueState.CLAIMED)
        .select_related("case", "person")
        .order_by("due_at", "pk")
    )


def sweep(now: dt.datetime | None = None, *, batch: int = 5000, max_batches: int | None = None) -> Counter:
    """Handle everything due at ``now``.  Returns items handled per kind."""
    now = now or timezone.now()
    handled: Counter = Counter()
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
                fn(group, now)
            except Exception:
                # The claim's lease runs out and the items are retried; one kind's bug does not stop the others.
                logger.exception("处理到期事项 %s 失败（%d 条）", kind, len(group))
                continue
            handled[kind] += len(group)
    return handled
