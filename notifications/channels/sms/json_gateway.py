"""A generic JSON SMS gateway, the shape most in-house and operator gateways offer.

``POST ANBANG_SMS_URL`` with ``Authorization: Bearer ANBANG_SMS_TOKEN`` and ``Idempotency-Key``, body
``{"to": "+86…", "text": "…", "idempotency_key": "anbang-d123"}``; a 2xx answer ``{"id": "…"}`` means
accepted.  A gateway that honours the key sends a repeated key once and answers with the first id.
"""

from __future__ import annotations

import json

from django.conf import settings

from notifications.channels.base import Message, PermanentError
from notifications.channels.http import post


def send_sms(mobile: str, message: Message, *, key: str) -> str:
    body = json.dumps({"to": mobile, "text": message.text, "idempotency_key": key}, ensure_ascii=False)
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": key}
    if settings.SMS_TOKEN:
        headers["Authorization"] = f"Bearer {settings.SMS_TOKEN}"
    _, answer = post(settings.SMS_URL, body.encode(), headers)
    try:
        return str(json.loads(answer or b"{}").get("id", ""))[:100]
    except (ValueError, AttributeError):
        raise PermanentError("bad_response") from None
