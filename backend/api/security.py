"""How API callers prove who they are: staff by a Django session (with CSRF) or ``Authorization: Bearer``;
the subject's phone app by ``Authorization: Device``; the SMS gateway by its own bearer token.  Each is a
security scheme of the OpenAPI document, named by its class."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.security.http import HttpAuthBase

from backend.core import request_context
from backend.core.actions.accounts import user_for_token
from backend.core.errors import Unauthenticated
from backend.supervision.actions.checkins import device_for_credential


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


class DeviceCredential(HttpAuthBase):
    """手机签到 app: ``Authorization: Device <设备标识>``, the OsmAnd identifier the office issued."""

    openapi_scheme = "device"
    openapi_description = "矫正对象手机应用：Authorization: Device <设备标识>（司法所登记设备时发放的标识）"

    def __call__(self, request: HttpRequest) -> str:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        identifier = credential.strip() if scheme.lower() == "device" else ""
        device_for_credential(identifier)  # missing, unknown or retired: 401 saying which
        return identifier


class SmsGatewayToken(HttpBearer):
    """The SMS provider pushing replies: ``Authorization: Bearer <ANBANG_SMS_INBOUND_TOKEN>``."""

    openapi_description = "短信网关推送回复：Authorization: Bearer <ANBANG_SMS_INBOUND_TOKEN>（未配置时关闭）"

    def authenticate(self, request: HttpRequest, token: str) -> str:
        expected = settings.SMS_INBOUND_TOKEN
        if not (settings.SMS_REPLIES and hmac.compare_digest(token.encode(), expected.encode())):
            raise Unauthenticated("短信网关令牌无效")
        return "sms-gateway"


DEVICE = DeviceCredential()
SMS_GATEWAY = SmsGatewayToken()
