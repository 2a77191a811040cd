"""One error shape for the whole API: ``{"code", "message", "details"}``, message in Chinese."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from backend.core.errors import DomainError

logger = logging.getLogger("anbang.api")

# Pydantic error types → what an officer reading a form error should see.
_TYPE_MESSAGES = {
    "missing": "必填字段缺失",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为字符串",
    "string_too_short": "长度不足",
    "string_too_long": "长度超出上限",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_type": "时间格式应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601",  # what pydantic says of 2025-02-30T10:00
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "不是合法的 JSON",
    "value_error": "取值不合法",
}


def error_response(status: int, code: str, message: str, details: Any = None) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "details": details if details is not None else {}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def field_errors(errors: list[dict], *, drop_wrapper: bool = True) -> list[dict]:
    """Pydantic's errors as ``{"loc", "type", "message"}`` with a Chinese message: the API's 422 details, and
    the console's messages beside each field (``drop_wrapper=False``: a schema validated directly has no
    ``body.payload`` prefix)."""
    out = []
    for error in errors:
        kind = error.get("type", "")
        loc = [str(part) for part in error.get("loc", ())]
        # Drop ninja's internal wrapper names so "body.payload.username" reads as "body.username".
        if drop_wrapper and len(loc) > 2 and loc[0] in {"body", "query", "path", "form"}:
            loc = [loc[0], *loc[2:]]
        message = _TYPE_MESSAGES.get(kind, "取值不合法")
        if kind == "value_error" and error.get("ctx", {}).get("error"):
            message = str(error["ctx"]["error"])
        out.append({"loc": loc, "type": kind, "message": message})
    return out


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError):
        return error_response(422, "validation_error", "请求参数不合法", {"fields": field_errors(exc.errors)})

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError):
        if getattr(request, "session_expired", False):
            return error_response(401, "session_expired", "会话已超时，请重新登录")
        return error_response(401, "unauthenticated", "未登录或登录凭据无效")

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError):
        return error_response(403, "forbidden", "无权执行此操作")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return error_response(400, "malformed_json", "请求体不是合法的 JSON")
        if exc.status_code == 403 and "CSRF" in str(exc):
            return error_response(403, "csrf_failed", "CSRF 校验失败：请携带 X-CSRFToken 请求头")
        codes = {
            400: "bad_request",
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            429: "rate_limited",
        }
        return error_response(exc.status_code, codes.get(exc.status_code, "error"), "请求无法处理")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404):
        return error_response(404, "not_found", "对象不存在或无权访问")

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist):
        return error_response(404, "not_found", "对象不存在或无权访问")

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig):
        return error_response(413, "payload_too_large", f"请求体过大：上限 {settings.MAX_BODY_BYTES} 字节")

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception):
        # The traceback goes to the log under the request id; the client gets only the id.
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(
            500,
            "server_error",
            "服务器内部错误，请联系管理员",
            {"request_id": getattr(request, "request_id", "")},
        )
