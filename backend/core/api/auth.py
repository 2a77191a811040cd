from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_protect
from ninja import Router, Status

from backend.core.actions import accounts
from backend.core.api.schemas import LoginIn, LoginOut, MeOut
from backend.core.errors import Forbidden

router = Router(tags=["登录"])


@router.get("/csrf", auth=None, summary="取得 CSRF 令牌（会话登录前调用）")
def csrf(request: HttpRequest):
    return {"csrf_token": get_token(request)}


@router.post("/login", auth=None, response=LoginOut, summary="用户名密码登录（会话）")
def login(request: HttpRequest, payload: LoginIn):
    # A login form is itself a CSRF target (login CSRF), so the session login needs the token too.
    if csrf_protect(lambda r: None)(request) is not None:
        raise Forbidden("CSRF 校验失败：请先调用 /api/v1/auth/csrf 并携带 X-CSRFToken 请求头")
    user = accounts.sign_in(request, username=payload.username, password=payload.password)
    return {"user": user, "csrf_token": get_token(request)}


@router.post("/logout", summary="退出登录", response={204: None})
def logout(request: HttpRequest):
    accounts.sign_out(request)
    return Status(204, None)


@router.get("/me", response=MeOut, summary="当前用户")
def me(request: HttpRequest):
    return request.auth
