"""One HTTP POST for the HTTP channels (SMS providers, webhooks), with failures sorted into retry or not."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

from django.conf import settings

from notifications.channels.base import PermanentError, TransientError

# 408 Request Timeout, 425 Too Early, 429 Too Many Requests: the receiver asks us to come back.
RETRYABLE_4XX = {408, 425, 429}
MAX_RESPONSE_BYTES = 64 * 1024


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST and return (status, body) for a 2xx; raise TransientError or PermanentError otherwise."""
    if not url.startswith(("http://", "https://")):
        raise PermanentError("bad_url")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_HTTP_TIMEOUT_S) as response:  # noqa: S310
            return response.status, response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        status = exc.code
        if status >= 500 or status in RETRYABLE_4XX:
            raise TransientError(f"http_{status}") from None
        raise PermanentError(f"http_{status}") from None
    except TimeoutError:
        raise TransientError("timeout") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            raise TransientError("timeout") from None
        name = type(reason).__name__ if isinstance(reason, BaseException) else "url_error"
        raise TransientError(f"connect:{name}") from None
    except (ConnectionError, OSError) as exc:
        raise TransientError(f"connect:{type(exc).__name__}") from None
