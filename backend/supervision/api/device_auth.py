"""The subject's phone app proves itself by ``Authorization: Device <设备标识>`` (the OsmAnd identifier the
office issued).  It lives beside the check-in router, its only user, because checking the credential is
supervision's own question (``device_for_credential``); the staff schemes are ``backend/core/http/security.py``."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security.http import HttpAuthBase

from backend.supervision.actions.checkins import device_for_credential


class DeviceCredential(HttpAuthBase):
    """手机签到 app: ``Authorization: Device <设备标识>``, the OsmAnd identifier the office issued."""

    openapi_scheme = "device"
    openapi_description = "矫正对象手机应用：Authorization: Device <设备标识>（司法所登记设备时发放的标识）"

    def __call__(self, request: HttpRequest) -> str:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        identifier = credential.strip() if scheme.lower() == "device" else ""
        device_for_credential(identifier)  # missing, unknown or retired: 401 saying which
        return identifier


DEVICE = DeviceCredential()
