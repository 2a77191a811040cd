"""One HTTP POST for the HTTP channels (SMS providers, webhooks), with failures sorted into retry or not."""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

from django.conf import settings

from notifications.channels.base import PermanentError, SendError, TransientError

# 408 Request Timeout, 425 Too Early, 429 Too Many Requests: the receiver asks us to come back.
RETRYABLE_4XX = {408, 425, 429}
MAX_RESPONSE_BYTES = 64 * 1024


def _refused(status: int) -> SendError:
    if status >= 500 or status in RETRYABLE_4XX:
        return TransientError(f"http_{status}")
    return PermanentError(f"http_{status}")


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST and return (status, body) for a 2xx; raise TransientError or PermanentError otherwise."""
    if not url.startswith(("http://", "https://")):
        raise PermanentError("bad_url")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_HTTP_TIMEOUT_S) as response:  # noqa: S310
            return response.status, response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as exc:
        raise _refused(exc.code) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _connect_error(exc) from None


def post_pinned(
    url: str, body: bytes, headers: dict[str, str], addresses: Callable[[str, int], list]
) -> tuple[int, bytes]:
    """POST to a URL someone typed in (a webhook): connect only to the addresses ``addresses(host, port)``
    returned — resolved and checked once, so the name cannot resolve elsewhere between check and connect —
    while the Host header, TLS SNI and certificate check still use the name.  No redirect is followed
    (a 3xx is a permanent failure) and no proxy is used.  BlockedTarget from ``addresses`` propagates."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentError("bad_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise PermanentError("bad_url") from None
    try:
        targets = addresses(parts.hostname, port)
    except OSError as exc:
        raise _connect_error(exc) from None
    timeout = settings.NOTIFY_HTTP_TIMEOUT_S

    def connect(_address, timeout_s=timeout, source_address=None):
        last: OSError | None = None
        for target in targets:
            try:
                return socket.create_connection((str(target), port), timeout_s, source_address)
            except OSError as exc:
                last = exc
        raise last or OSError("no address")

    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    connection._create_connection = connect  # type: ignore[attr-defined]  # the one socket it opens
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status, answer = response.status, response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as exc:
        raise _connect_error(exc) from None
    finally:
        connection.close()
    if 200 <= status < 300:
        return status, answer
    raise _refused(status)


def _connect_error(exc: OSError | http.client.HTTPException) -> SendError:
    if isinstance(exc, TimeoutError):
        return TransientError("timeout")
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            return TransientError("timeout")
        name = type(reason).__name__ if isinstance(reason, BaseException) else "url_error"
        return TransientError(f"connect:{name}")
    return TransientError(f"connect:{type(exc).__name__}")
