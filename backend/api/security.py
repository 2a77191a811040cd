"""How API callers prove who they are: a Django session (with CSRF) or ``Authorization: Bearer``."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from backend.core import request_context
from backend.core.actions.accounts import user_for_token


class StaffSession(SessionAuth):
    """Session cookie auth; unsafe methods need the CSRF token (ninja checks it in _get_key)."""

    def authenticate(self, request: HttpRequest, key: str | None):
        user = request.user
        if user.is_authenticated and user.is_active:
            return user
        return None


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        context = request_context.current()
        request_context.bind(
            request_context.RequestContext(
                request_id=context.request_id, source_ip=context.source_ip, via="token"
            )
        )
        return user


AUTH = [BearerToken(), StaffSession(csrf=True)]
