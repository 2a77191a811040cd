"""Jurisdictions, users and tokens.  Every lookup starts from ``visible_to``; out of scope is 404."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from backend.core.actions import accounts, directory
from backend.core.api.schemas import (
    JurisdictionIn,
    JurisdictionOut,
    JurisdictionPatch,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserDetailOut,
    UserIn,
    UserOut,
    UserPatch,
)
from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.http.pagination import CursorParams, Page, paginate
from backend.core.http.types import Id
from backend.core.models import ApiToken, Jurisdiction, User
from backend.core.policy import require

jurisdictions = Router(tags=["辖区"])
users = Router(tags=["用户"])
tokens = Router(tags=["访问令牌"])


def _admin(request: HttpRequest) -> User:
    require(request.auth, "directory.manage")
    return request.auth


# --- Jurisdictions ------------------------------------------------------------------------------------


@jurisdictions.get("", response=Page[JurisdictionOut], summary="本辖区及下级辖区")
def list_jurisdictions(
    request: HttpRequest,
    page: Query[CursorParams],
    parent_id: Id | None = None,
    level: Jurisdiction.Level | None = None,
):
    queryset = Jurisdiction.objects.visible_to(request.auth)
    if parent_id is not None:
        queryset = queryset.filter(parent_id=parent_id)
    if level is not None:
        queryset = queryset.filter(level=level)
    return paginate(queryset, page)


@jurisdictions.get("/{int:jurisdiction_id}", response=JurisdictionOut)
def get_jurisdiction(request: HttpRequest, jurisdiction_id: Id):
    return get_object_or_404(Jurisdiction.objects.visible_to(request.auth), pk=jurisdiction_id)


@jurisdictions.post("", response={201: JurisdictionOut}, summary="新建下级辖区（管理员）")
def create_jurisdiction(request: HttpRequest, payload: JurisdictionIn):
    by = _admin(request)
    parent = get_object_or_404(Jurisdiction.objects.visible_to(by), pk=payload.parent_id)
    node = directory.create_jurisdiction(
        by=by, parent=parent, code=payload.code, name=payload.name, level=payload.level
    )
    return Status(201, node)


@jurisdictions.patch("/{int:jurisdiction_id}", response=JurisdictionOut, summary="更名（管理员）")
def rename_jurisdiction(request: HttpRequest, jurisdiction_id: Id, payload: JurisdictionPatch):
    node = get_object_or_404(Jurisdiction.objects.visible_to(request.auth), pk=jurisdiction_id)
    return directory.rename_jurisdiction(by=_admin(request), node=node, name=payload.name)


# --- Users ----------------------------------------------------------------------------------------------


def _visible_user(request: HttpRequest, user_id: Id) -> User:
    by = _admin(request)
    return get_object_or_404(User.objects.visible_to(by), pk=user_id)


@users.get("", response=Page[UserOut], summary="本辖区用户（管理员）")
def list_users(request: HttpRequest, page: Query[CursorParams], jurisdiction_id: Id | None = None):
    queryset = User.objects.visible_to(_admin(request)).prefetch_related("roles")
    if jurisdiction_id is not None:
        queryset = queryset.filter(jurisdiction_id=jurisdiction_id)
    return paginate(queryset, page)


@users.get("/{int:user_id}", response=UserDetailOut, summary="用户详情（含联系方式，读取留痕）")
def get_user(request: HttpRequest, user_id: Id):
    user = _visible_user(request, user_id)
    record_audit(actor=request.auth, action=AuditAction.USER_READ, target=user)
    return user


@users.post("", response={201: UserDetailOut}, summary="新建用户（管理员）")
def create_user(request: HttpRequest, payload: UserIn):
    by = _admin(request)
    home = get_object_or_404(Jurisdiction.objects.visible_to(by), pk=payload.jurisdiction_id)
    user = directory.create_user(
        by=by,
        username=payload.username,
        password=payload.password,
        display_name=payload.display_name,
        jurisdiction=home,
        roles=[str(role) for role in payload.roles],
        mobile=payload.mobile,
        email=payload.email,
    )
    return Status(201, user)


@users.patch("/{int:user_id}", response=UserDetailOut, summary="修改用户（管理员）")
def update_user(request: HttpRequest, user_id: Id, payload: UserPatch):
    user = _visible_user(request, user_id)
    return directory.update_user(
        by=request.auth,
        user=user,
        display_name=payload.display_name,
        roles=[str(role) for role in payload.roles] if payload.roles is not None else None,
        is_active=payload.is_active,
        mobile=payload.mobile,
        email=payload.email,
    )


@users.post("/{int:user_id}/unlock", response=UserOut, summary="解除登录锁定（管理员）")
def unlock_user(request: HttpRequest, user_id: Id):
    return accounts.unlock_user(user=_visible_user(request, user_id), by=request.auth)


@users.get("/{int:user_id}/tokens", response=Page[TokenOut], summary="某用户的令牌（管理员）")
def list_user_tokens(request: HttpRequest, user_id: Id, page: Query[CursorParams]):
    user = _visible_user(request, user_id)
    return paginate(ApiToken.objects.visible_to(request.auth).filter(user=user), page)


# --- Tokens -------------------------------------------------------------------------------------------


@tokens.get("", response=Page[TokenOut], summary="我的访问令牌")
def list_my_tokens(request: HttpRequest, page: Query[CursorParams]):
    return paginate(ApiToken.objects.filter(user=request.auth), page)


@tokens.post("", response={201: TokenCreatedOut}, summary="新建访问令牌（完整令牌只显示这一次）")
def create_my_token(request: HttpRequest, payload: TokenIn):
    issued = accounts.create_token(user=request.auth, name=payload.name, days=payload.days)
    token = issued.token
    return Status(201, {**{f: getattr(token, f) for f in TokenOut.model_fields}, "token": issued.plaintext})


@tokens.delete("/{int:token_id}", response=TokenOut, summary="吊销令牌（本人，或管理员吊销辖区内用户的令牌）")
def revoke_token(request: HttpRequest, token_id: Id):
    token = get_object_or_404(ApiToken.objects.visible_to(request.auth), pk=token_id)
    return accounts.revoke_token(token=token, by=request.auth)
