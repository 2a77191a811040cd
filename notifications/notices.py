"""Notices of a decision to the staff it concerns (通知): what ``NotificationsConfig.ready`` registers as the
notice port's sender (``backend.core.notices``) — a proposal refused or expired, told to its proposer.

One delivery per recipient and channel — the in-app inbox always, e-mail where the sender is set up and
the recipient has a mailbox — queued in the caller's transaction, so a decision and its notice commit (or
roll back) together.  Such a delivery has no alert, digest day or due item; its title, text and console
link travel in ``details`` (``kind = "notice"``) and ``messages.render_notice`` turns them into a message.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from backend.core.models import User
from notifications.channels import configured_channels
from notifications.models import Channel, ContactPoint, Delivery

NOTICE = "notice"  # details["kind"] of a notice delivery (sender._render picks the template by it)


def notify_staff(
    users: Iterable[User], *, title: str, text: str, link: str = "", channels=(Channel.INBOX, Channel.EMAIL)
) -> int:
    """Queue the notice to each active user once (inbox, and e-mail where reachable).  Returns deliveries."""
    people = {u.pk: u for u in users if u is not None and u.is_active}
    configured = configured_channels()
    reachable = set(
        ContactPoint.objects.filter(user__in=people.values(), enabled=True).values_list("user_id", "channel")
    )
    now = timezone.now()
    details = {"kind": NOTICE, "title": title[:200], "text": text, "link": link}
    rows = [
        Delivery(recipient=user, channel=channel, created_at=now, next_attempt_at=now, details=details)
        for user in people.values() for channel in channels
        if channel == Channel.INBOX or (channel in configured and (user.pk, channel) in reachable)
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows)
    return len(rows)
