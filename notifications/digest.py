"""The daily digest (每日汇总): low alerts reach e-mail once a day instead of one message each.

At ANBANG_NOTIFY_DIGEST_HOUR (Asia/Shanghai) the sender plans, for the day before, one e-mail per
recipient listing the low alerts their built-in route would have mailed.  Planning is idempotent (one
digest delivery per recipient and day), so running it every minute, or in two senders, sends one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from backend.monitoring.models import Alert, Severity
from notifications.channels import configured_channels
from notifications.models import Channel, ContactPoint, Delivery
from notifications.routing import built_in_recipients

LOCAL = ZoneInfo("Asia/Shanghai")


def digest_day_due(now: dt.datetime) -> dt.date | None:
    """The day whose digest is due at ``now``: yesterday, once the digest hour has come."""
    local = now.astimezone(LOCAL)
    return local.date() - dt.timedelta(days=1) if local.hour >= settings.NOTIFY_DIGEST_HOUR else None


def plan_digests(day: dt.date) -> int:
    """Queue the digest of ``day``'s low alerts.  Returns digests queued now (0 when already planned)."""
    if Channel.EMAIL not in configured_channels() or Delivery.objects.filter(digest_on=day).exists():
        return 0
    start = dt.datetime.combine(day, dt.time(), tzinfo=LOCAL)
    alerts = (
        Alert.objects.filter(
            severity=Severity.LOW, opened_at__gte=start, opened_at__lt=start + dt.timedelta(days=1)
        )
        .select_related("owner", "assignee", "jurisdiction")
        .order_by("opened_at", "pk")
    )
    per_user: dict[int, list[int]] = defaultdict(list)
    for alert in alerts:
        for user in built_in_recipients(alert, 0):
            per_user[user.pk].append(alert.pk)
    mailable = set(
        ContactPoint.objects.filter(user_id__in=per_user, channel=Channel.EMAIL, enabled=True).values_list(
            "user_id", flat=True
        )
    )
    now = timezone.now()
    rows = [
        Delivery(digest_on=day, recipient_id=user_pk, channel=Channel.EMAIL, created_at=now,
                 next_attempt_at=now, details={"alerts": ids})
        for user_pk, ids in sorted(per_user.items()) if user_pk in mailable
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)  # a second sender planning at once adds nothing
    return len(rows)
