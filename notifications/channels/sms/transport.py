"""SMS through the provider named by ANBANG_SMS_PROVIDER: ``json`` (a generic HTTP gateway) or ``aliyun``.

An SMS carries the case number, the alert kind, the time and the acknowledge link — never the person's
name or ID number (notifications/messages.py builds it).
"""

from __future__ import annotations

from django.conf import settings

from notifications.channels.base import Message, PermanentError
from notifications.channels.sms import aliyun, json_gateway
from notifications.models import ContactPoint, Delivery


def send(delivery: Delivery, message: Message, contact: ContactPoint | None) -> str:
    if contact is None:
        raise PermanentError("no_contact_point")
    if settings.SMS_PROVIDER == "aliyun":
        return aliyun.send_sms(contact.address, message, key=delivery.idempotency_key)
    if settings.SMS_PROVIDER == "json":
        return json_gateway.send_sms(contact.address, message, key=delivery.idempotency_key)
    raise PermanentError("sms_not_configured")
