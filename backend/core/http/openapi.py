"""The OpenAPI document: ninja's, plus the error answers every operation may give.

Errors never pass through an operation's ``response=`` models (the handlers in ``errors.py`` answer
directly), so they are added to the document here, by one rule for all operations rather than route by
route: a client generated from the document then knows the ``{"code", "message", "details"}`` shape of
every 4xx and 5xx (issue #23: the document listed only the 200s).
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI, Schema
from pydantic import Field

REF = "#/components/schemas/{model}"
STAFF_SCHEMES = frozenset({"BearerToken", "StaffSession"})


class FieldError(Schema):
    loc: list[str] = Field(description='出错位置，如 ["body", "person_id"]、["query", "from"]')
    type: str = Field(description="错误类型，如 missing、int_parsing、less_than_equal、value_error")
    message: str = Field(description="中文说明")


class Error(Schema):
    """Every error answer of the API (``backend/core/http/errors.py``)."""

    code: str = Field(
        description="错误代码：validation_error、not_found、unauthenticated、forbidden、conflict…"
    )
    message: str = Field(description="中文说明，可直接展示给用户")
    details: dict[str, Any] = Field(
        description="补充信息：validation_error 时为 {fields: [FieldError]}；server_error 时为 {request_id}；"
        "不含姓名、证件号码、电话、地址等个人信息"
    )


ERRORS = {
    400: "请求体不是合法的 JSON（malformed_json）",
    401: "未登录、凭据无效或会话超时（unauthenticated、session_expired）",
    403: "角色无权执行此操作，或会话写操作缺少 CSRF 令牌（forbidden、csrf_failed）",
    404: "对象不存在或不在您的辖区与权限范围内，两者不作区分（not_found）",
    409: "对象当前状态不允许此操作（conflict）",
    413: "请求体超过 ANBANG_MAX_BODY_BYTES（payload_too_large）",
    422: "参数或字段不合法（validation_error；details.fields 逐项说明）",
    423: "账户因连续输错密码被暂时锁定（locked；details.locked_until）",
    500: "服务器内部错误（server_error；details.request_id 与响应头 X-Request-ID 及日志对应）",
}

# Answers beyond the general rule, by operation (path under the API root).
EXTRA_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/auth/login"): (401, 403, 423),  # 403: login CSRF
}


def statuses_for(method: str, operation: dict) -> set[int]:
    """The error statuses an operation may answer with, from what the document says about it."""
    found = {500}
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    if operation.get("parameters") or operation.get("requestBody"):
        found.add(422)
    if operation.get("requestBody"):
        found |= {400, 413}
    if schemes:
        # 409 on reads too: a question about the wrong kind of case (a compliance count) is refused so.
        found |= {401, 404, 409}
    if schemes & STAFF_SCHEMES:
        found.add(403)
    return found


def add_error_responses(spec: dict, prefix: str) -> dict:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    definition = Error.model_json_schema(ref_template=REF)
    for name, nested in {**definition.pop("$defs", {}), "Error": definition}.items():
        if schemas.setdefault(name, nested) != nested:
            raise ValueError(f"OpenAPI component {name!r} is already another schema")
    answer = {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            extra = EXTRA_ERRORS.get((method, path.removeprefix(prefix)), ())
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses_for(method, operation) | set(extra)):
                responses.setdefault(status, {"description": ERRORS[status], "content": answer})
    return spec


class DocumentedAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        spec = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return add_error_responses(spec, path_prefix.rstrip("/"))
