from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from backend.core import request_context
from backend.core.actions.accounts import expire_session
from backend.core.http.errors import error_response

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
logger = logging.getLogger("anbang.web")


def client_ip(request: HttpRequest) -> str | None:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Gives every request an id (kept from X-Request-ID when sane) for logs, errors and audit rows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_context.bind(
            request_context.RequestContext(
                request_id=request.request_id, source_ip=client_ip(request), via="web"
            )
        )
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse an oversized body from its Content-Length before anything reads it (413)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # The spreadsheet upload checks its own, larger limit before reading (backend/console/views/transfer.py).
        if length > settings.MAX_BODY_BYTES and request.path not in settings.LARGE_UPLOAD_PATHS:
            return error_response(
                413,
                "payload_too_large",
                f"请求体过大：上限 {settings.MAX_BODY_BYTES} 字节",
                {"limit": settings.MAX_BODY_BYTES},
            )
        return self.get_response(request)


class IdleSessionTimeoutMiddleware:
    """Log a session out after SESSION_IDLE_MINUTES without a request (shared office PCs)."""

    SESSION_KEY = "anbang_last_seen"
    # Write the timestamp at most this often so each request does not rewrite the session row.
    TOUCH_EVERY_S = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last_seen = request.session.get(self.SESSION_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_MINUTES * 60:
                expire_session(request)
                request.session_expired = True
            elif last_seen is None or now - last_seen > self.TOUCH_EVERY_S:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


@functools.lru_cache(maxsize=8)  # warn once per value, not on every request
def tile_source(template: str) -> str | None:
    """The CSP source that admits the console's map tiles: scheme and host of ANBANG_CONSOLE_TILE_URL, a
    templated first label ("webrd0{s}.…") as "*.…".  None when the tiles come from this host (a relative
    URL) or when the host cannot be written as a CSP source (then the tiles stay blocked, with a warning)."""
    parts = urlsplit(template)
    if not template or not parts.scheme:
        return None
    first, _, rest = parts.netloc.partition(".")
    if "{" in first and rest and "{" not in rest and "@" not in parts.netloc:
        return f"{parts.scheme}://*.{rest}"
    if "{" in parts.netloc or "@" in parts.netloc or parts.scheme not in {"http", "https"}:
        logger.warning("ANBANG_CONSOLE_TILE_URL 的主机名无法写入内容安全策略，地图底图将被浏览器拦截")
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy() -> str:
    """No inline script or style anywhere (templates use static files and classes); images from here, data:
    URIs (Leaflet's and Swagger UI's icons) and the configured tile server only."""
    images = ["'self'", "data:"]
    if tiles := tile_source(settings.CONSOLE_TILE_URL.strip()):
        images.append(tiles)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every answer, and ``Cache-Control: no-store`` on every answer that is
    not a static file: pages, API answers, PDFs and CSVs carry personal data, and a shared office PC's
    browser cache (or a proxy) must not keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Content-Security-Policy"] = content_security_policy()
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response


# Exempt: it changes nothing, and a write to a mistyped API path must get the JSON 404, not Django's CSRF page.
@csrf_exempt
def json_404(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return error_response(404, "not_found", "接口不存在", {"path": request.path})
