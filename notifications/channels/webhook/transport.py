"""Webhook: a signed JSON POST to the recipient's URL (for duty-room systems and chat bots)."""

from __future__ import annotations

import json
import logging

from notifications.channels.base import Message, PermanentError
from notifications.channels.http import post_pinned
from notifications.channels.webhook import signing, targets
from notifications.models import ContactPoint, Delivery

logger = logging.getLogger("anbang.notifications")


def send(delivery: Delivery, message: Message, contact: ContactPoint | None) -> str:
    if contact is None or not contact.secret:
        raise PermanentError("no_contact_point")
    body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = signing.headers(contact.secret, body, delivery.idempotency_key)
    try:
        status, _ = post_pinned(contact.address, body, headers, targets.checked_addresses)
    except targets.BlockedTarget:
        # The address is the recipient's contact point (encrypted at rest): the log names the delivery only.
        logger.warning(
            "webhook 投递 %s 被拒绝：目标地址为内网或保留地址（ANBANG_WEBHOOK_ALLOWED_NETWORKS）", delivery.pk
        )
        raise PermanentError("blocked_address") from None
    return f"http_{status}"
