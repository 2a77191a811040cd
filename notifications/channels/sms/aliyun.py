"""Alibaba Cloud SMS (阿里云短信服务) ``SendSms``, API version 2017-05-25, RPC signature V1 (HMAC-SHA1).

The string to sign is ``POST&%2F&`` + the percent-encoded, sorted, percent-encoded query; the key is the
AccessKey secret followed by ``&``; the signature is base64.  Percent-encoding is RFC 3986 (space → %20,
``*`` → %2A, ``~`` kept).  The message text lives in the template registered with the provider
(ANBANG_SMS_TEMPLATE_CODE, e.g. ``${kind}：案件${case}，${time}。签收：${link}``); we send its parameters.
``OutId`` carries our idempotency key so the provider's delivery receipts can be matched; Aliyun does not
deduplicate on it (docs/notifications.md says what that means after a crash).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from urllib.parse import quote

from django.conf import settings

from notifications.channels.base import Message, PermanentError, TransientError
from notifications.channels.http import post

API_VERSION = "2017-05-25"
# Codes after which a later try may succeed: throttling and the provider's own faults.
TRANSIENT_CODES = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "isp.", "ServiceUnavailable", "InternalError")


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(method: str, params: dict[str, str], secret: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def request_params(
    mobile: str, message: Message, *, key: str, now: dt.datetime | None = None
) -> dict[str, str]:
    now = now or dt.datetime.now(dt.UTC)
    params = {
        "AccessKeyId": settings.SMS_ACCESS_KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": key,
        "PhoneNumbers": mobile.removeprefix("+86"),
        "RegionId": settings.SMS_REGION,
        "SignName": settings.SMS_SIGN_NAME,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": settings.SMS_TEMPLATE_CODE,
        "TemplateParam": json.dumps(message.params, ensure_ascii=False, separators=(",", ":")),
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": API_VERSION,
    }
    params["Signature"] = sign("POST", params, settings.SMS_ACCESS_KEY_SECRET)
    return params


def send_sms(mobile: str, message: Message, *, key: str) -> str:
    params = request_params(mobile, message, key=key)
    body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    try:
        _, answer = post(settings.SMS_URL, body, headers)
    except PermanentError as exc:  # Aliyun answers 4xx with a JSON code; the code decides, not the status
        raise PermanentError(f"aliyun:{exc.code}") from None
    try:
        result = json.loads(answer)
    except ValueError:
        raise TransientError("aliyun:bad_response") from None
    code = str(result.get("Code", ""))
    if code == "OK":
        return str(result.get("BizId", ""))[:100]
    if code.startswith(TRANSIENT_CODES):
        raise TransientError(f"aliyun:{code}")
    raise PermanentError(f"aliyun:{code or 'no_code'}")
