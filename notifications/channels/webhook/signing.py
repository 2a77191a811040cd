"""Webhook signatures (docs/notifications.md): HMAC-SHA256 over ``<timestamp>.<body>``.

Headers: ``X-Anbang-Timestamp`` (Unix seconds), ``X-Anbang-Signature: v1=<hex>``, ``X-Anbang-Delivery``
(the idempotency key).  A receiver recomputes the HMAC with its secret, compares in constant time, refuses
a timestamp more than ANBANG_WEBHOOK_TOLERANCE_S (300 s) away from its clock, and ignores a delivery key
it has already processed — which together refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def headers(secret: str, body: bytes, key: str, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json; charset=utf-8",
        "X-Anbang-Timestamp": str(timestamp),
        "X-Anbang-Signature": signature(secret, timestamp, body),
        "X-Anbang-Delivery": key,
    }


def verify(
    secret: str, body: bytes, received: dict[str, str], *, tolerance_s: int, now: float | None = None
) -> bool:
    """For receivers written in Python: True only for a fresh, correctly signed body."""
    try:
        timestamp = int(received["X-Anbang-Timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), received.get("X-Anbang-Signature", ""))
