"""Managing the jurisdiction tree and staff accounts (admins only; every change audited)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid
from backend.core.models import Jurisdiction, Role, User
from backend.core.policy import require


def _validation_details(exc: ValidationError) -> dict:
    if hasattr(exc, "message_dict"):
        return {"fields": {k: [str(m) for m in v] for k, v in exc.message_dict.items()}}
    return {"errors": [str(m) for m in exc.messages]}


def create_jurisdiction(*, by: User, parent: Jurisdiction, code: str, name: str, level: str) -> Jurisdiction:
    require(by, "directory.manage", parent)
    node = Jurisdiction(parent=parent, code=code, name=name.strip(), level=level)
    try:
        node.full_clean(exclude=["path"])
    except ValidationError as exc:
        raise Invalid("辖区信息不合法", _validation_details(exc)) from None
    with transaction.atomic():
        node.save()
        record_audit(
            actor=by,
            action=AuditAction.JURISDICTION_CREATE,
            target=node,
            details={"code": code, "level": level},
        )
    return node


def rename_jurisdiction(*, by: User, node: Jurisdiction, name: str) -> Jurisdiction:
    require(by, "directory.manage", node)
    if not name.strip():
        raise Invalid("名称不能为空")
    with transaction.atomic():
        Jurisdiction.objects.filter(pk=node.pk).update(name=name.strip())
        record_audit(actor=by, action=AuditAction.JURISDICTION_RENAME, target=node)
    node.refresh_from_db()
    return node


def create_user(
    *,
    by: User | None,
    username: str,
    password: str,
    display_name: str,
    jurisdiction: Jurisdiction,
    roles: list[str],
    mobile: str | None = None,
    email: str | None = None,
) -> User:
    """Create a staff account.  ``by=None`` only from trusted commands (seed_demo, createsuperuser-like)."""
    if by is not None:
        require(by, "directory.manage", jurisdiction)
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        raise Invalid("未知角色", {"roles": unknown})
    user = User(
        username=username,
        display_name=display_name,
        jurisdiction=jurisdiction,
        mobile=mobile,
        email_address=email,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid("密码不符合要求", {"errors": [str(m) for m in exc.messages]}) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            user.set_roles(roles)
            record_audit(
                actor=by, action=AuditAction.USER_CREATE, target=user, details={"roles": sorted(roles)}
            )
    except IntegrityError:
        raise Conflict("用户名已存在", {"username": username}) from None
    return user


def update_user(
    *,
    by: User,
    user: User,
    display_name: str | None = None,
    roles: list[str] | None = None,
    is_active: bool | None = None,
    mobile: str | None = None,
    email: str | None = None,
) -> User:
    require(by, "directory.manage", user.jurisdiction)
    changed: list[str] = []
    if display_name is not None:
        user.display_name, changed = display_name, [*changed, "display_name"]
    if is_active is not None:
        if user.pk == by.pk and not is_active:
            raise Conflict("不能停用自己的账户")
        user.is_active, changed = is_active, [*changed, "is_active"]
    if mobile is not None:
        user.mobile, changed = mobile or None, [*changed, "mobile"]
    if email is not None:
        user.email_address, changed = email or None, [*changed, "email_address"]
    if roles is not None:
        unknown = sorted(set(roles) - set(Role.values))
        if unknown:
            raise Invalid("未知角色", {"roles": unknown})
        if user.pk == by.pk and Role.ADMIN not in roles:
            raise Conflict("不能撤销自己的管理员角色")
    with transaction.atomic():
        if changed:
            user.save()
        if roles is not None:
            user.set_roles(roles)
            changed.append("roles")
        record_audit(actor=by, action=AuditAction.USER_UPDATE, target=user, details={"fields": changed})
    return user
