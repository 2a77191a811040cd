"""In-app inbox (站内信): the message is a row the recipient reads at /api/v1/inbox; it cannot fail."""

from __future__ import annotations

from django.utils import timezone

from notifications.channels.base import Message
from notifications.models import ContactPoint, Delivery, InboxMessage


def send(delivery: Delivery, message: Message, contact: ContactPoint | None) -> str:
    # One message per delivery (a OneToOne), so a retried send after a crash finds the first one.
    item, _ = InboxMessage.objects.get_or_create(
        delivery=delivery,
        defaults={
            "recipient_id": delivery.recipient_id,
            "alert_id": delivery.alert_id,
            "title": message.subject[:200],
            "body": message.body,
            "created_at": timezone.now(),
        },
    )
    return f"inbox:{item.pk}"
