"""Reminders of due items (提醒): to staff (inbox, e-mail) or by SMS to the supervised person.

Supervision's handlers call its reminder port (``backend.supervision.reminders``); these two functions are
what ``NotificationsConfig.ready`` registers there.

Queued in the caller's transaction, one delivery per (due item, recipient, channel), so a handler that
runs twice after a crash queues nothing new.  A reminder's text is written by the caller and — like every
message — carries no name or ID number.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from backend.core.models import User
from notifications.channels import configured_channels
from notifications.models import Channel, ContactPoint, Delivery


def remind_people(items_and_texts: Iterable[tuple[object, str]], *, title: str = "安帮提醒") -> int:
    """SMS to each due item's person.  Returns deliveries queued (0 when SMS is not set up)."""
    if Channel.SMS not in configured_channels():
        return 0
    now = timezone.now()
    rows = [
        Delivery(due_item=item, person_id=item.person_id, channel=Channel.SMS, created_at=now, next_attempt_at=now,
                 details={"title": title, "text": text})
        for item, text in items_and_texts if item.person_id
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return len(rows)


def remind_staff(
    item, users: Iterable[User], *, title: str, text: str, channels=(Channel.INBOX, Channel.EMAIL)
) -> int:
    """Tell office staff of a due item (an order about to expire, a task due)."""
    users = [u for u in users if u is not None and u.is_active]
    configured = configured_channels()
    reachable = set(
        ContactPoint.objects.filter(user__in=users, enabled=True).values_list("user_id", "channel")
    )
    now = timezone.now()
    rows = [
        Delivery(due_item=item, recipient=user, channel=channel, created_at=now, next_attempt_at=now,
                 details={"title": title, "text": text})
        for user in {u.pk: u for u in users}.values() for channel in channels
        if channel == Channel.INBOX or (channel in configured and (user.pk, channel) in reachable)
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
