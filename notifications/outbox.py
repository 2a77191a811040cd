"""Planning deliveries: subscribed to the alert contract (``backend.monitoring.alerting``, in
``NotificationsConfig.ready``), so it runs inside the transaction that opens or escalates an alert: an alert
is never committed without its deliveries, and planning a step twice adds nothing (the unique constraint)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.utils import timezone

from backend.monitoring.models import Alert
from notifications.models import Channel, Delivery
from notifications.routing import routes_for


def plan_deliveries(alert: Alert, step: int) -> int:
    """Queue this escalation step of ``alert`` for everyone its routes name.  Returns the routes found;
    a route already queued for this step is left as it is."""
    now = timezone.now()
    rows = [
        Delivery(alert=alert, recipient=route.recipient, channel=route.channel, step=step,
                 created_at=now, next_attempt_at=now, reply_code=reply_code(route.channel))
        for route in routes_for(alert, step)
    ]  # fmt: skip
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reply_code(channel: str) -> str:
    """Six random digits for an SMS where the provider passes replies on; a reply must also come from the
    recipient's own number, so a guessed code alone acknowledges nothing."""
    return f"{secrets.randbelow(10**6):06d}" if channel == Channel.SMS and settings.SMS_REPLIES else ""
