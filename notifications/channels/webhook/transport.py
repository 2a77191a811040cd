"""Webhook: a signed JSON POST to the recipient's URL (for duty-room systems and chat bots)."""

from __future__ import annotations

import json

from notifications.channels.base import Message, PermanentError
from notifications.channels.http import post
from notifications.channels.webhook import signing
from notifications.models import ContactPoint, Delivery


def send(delivery: Delivery, message: Message, contact: ContactPoint | None) -> str:
    if contact is None or not contact.secret:
        raise PermanentError("no_contact_point")
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    status, _ = post(contact.address, body, signing.headers(contact.secret, body, delivery.idempotency_key))
    return f"http_{status}"
