from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from backend.core.http.types import Id, Int64
from backend.core.models import Jurisdiction, Role


class JurisdictionOut(Schema):
    id: int
    code: str
    name: str
    level: Jurisdiction.Level
    parent_id: int | None


class JurisdictionIn(Schema):
    parent_id: Id
    code: str = Field(pattern=r"^\d{12}$", description="12 位统计用区划代码")
    name: str = Field(min_length=1, max_length=100)
    level: Jurisdiction.Level


class JurisdictionPatch(Schema):
    name: str = Field(min_length=1, max_length=100)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    jurisdiction_id: int | None
    roles: list[Role]
    is_active: bool
    locked_until: dt.datetime | None

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(obj.role_codes)


class UserDetailOut(UserOut):
    """With the contact points (decrypted): reading it is an audited sensitive read."""

    mobile: str | None = None
    email: str | None = None

    @staticmethod
    def resolve_email(obj) -> str | None:
        return obj.email_address


class UserIn(Schema):
    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9._@+-]+$")
    password: str = Field(min_length=1, max_length=128)
    display_name: str = Field(min_length=1, max_length=64)
    jurisdiction_id: Id
    roles: list[Role] = Field(min_length=1)
    mobile: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)


class UserPatch(Schema):
    display_name: str | None = Field(None, min_length=1, max_length=64)
    roles: list[Role] | None = None
    is_active: bool | None = None
    mobile: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=254)


class MeOut(UserOut):
    jurisdiction: JurisdictionOut | None


class LoginIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128)


class LoginOut(Schema):
    user: MeOut
    csrf_token: str


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    days: Int64 | None = Field(None, ge=1, description="有效期（天），默认 90")


class TokenOut(Schema):
    id: int
    name: str
    user_id: int
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="完整令牌，仅此一次显示")


class HealthOut(Schema):
    status: str
    database: str
    version: str
