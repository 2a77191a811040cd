"""How API callers prove who they are: staff by a Django session (with CSRF) or ``Authorization: Bearer``;
the SMS gateway by its own bearer token.  Each is a security scheme of the OpenAPI document, named by its
class.  The subject's phone app (``Authorization: Device``) is checked by supervision, beside the check-in
router that takes it (``backend/supervision/api/device_auth.py``)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from backend.core import request_context
from backend.core.actions.accounts import user_for_token
from backend.core.errors import Unauthenticated


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


class SmsGatewayToken(HttpBearer):
    """The SMS provider pushing replies: ``Authorization: Bearer <ANBANG_SMS_INBOUND_TOKEN>``."""

    openapi_description = "短信网关推送回复：Authorization: Bearer <ANBANG_SMS_INBOUND_TOKEN>（未配置时关闭）"

    def authenticate(self, request: HttpRequest, token: str) -> str:
        expected = settings.SMS_INBOUND_TOKEN
        if not (settings.SMS_REPLIES and hmac.compare_digest(token.encode(), expected.encode())):
            raise Unauthenticated("短信网关令牌无效")
        return "sms-gateway"


SMS_GATEWAY = SmsGatewayToken()
