"""Shared bits of the case-calendar tests: Asia/Shanghai times and what a due item led to (staff inbox
deliveries, follow-up alerts)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from backend.monitoring.models import Alert, AlertKind
from backend.supervision.models import DueItem
from notifications.models import Channel, Delivery

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINUTE = dt.timedelta(minutes=1)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def items(kind: str, **filters) -> list[DueItem]:
    return list(DueItem.objects.filter(kind=kind, **filters).order_by("due_at", "pk"))


def only(kind: str, **filters) -> DueItem:
    found = items(kind, **filters)
    assert len(found) == 1, [(i.subject, i.state) for i in found]
    return found[0]


def inbox(item: DueItem) -> list[int]:
    """Who got an inbox message for this item (user ids, sorted)."""
    item_ids = [item.pk]
    return sorted(
        Delivery.objects.filter(due_item_id__in=item_ids, channel=Channel.INBOX).values_list(
            "recipient_id", flat=True
        )
    )


def followup_alerts(**filters) -> list[Alert]:
    return list(Alert.objects.filter(kind=AlertKind.FOLLOWUP_DUE, **filters).order_by("pk"))
