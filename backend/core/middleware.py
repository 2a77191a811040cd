from __future__ import annotations

import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from backend.core import request_context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


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
        if length > settings.MAX_BODY_BYTES:
            from backend.api.errors import error_response

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
                from backend.core.actions.accounts import expire_session

                expire_session(request)
                request.session_expired = True
            elif last_seen is None or now - last_seen > self.TOUCH_EVERY_S:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


def json_404(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    from backend.api.errors import error_response

    return error_response(404, "not_found", "接口不存在", {"path": request.path})
