"""The notifications' rules in the one policy (``backend.core.policy``), declared when
``NotificationsConfig.ready`` imports this module: contact points and routing rules."""

from __future__ import annotations

from typing import Any

from backend.core.models import Role, User
from backend.core.policy import anyone, declare, grant


def is_themselves(user: User, owner: Any) -> bool:
    return user.pk == owner.pk


def holds_their_jurisdiction(user: User, owner: Any) -> bool:
    return bool(user.jurisdiction and user.jurisdiction.contains(owner.jurisdiction))


def rule_in_own_subtree(user: User, rule: Any) -> bool:
    return bool(user.jurisdiction and user.jurisdiction.contains(rule.jurisdiction))


declare(
    "contact_point.manage",
    "只能设置本人或本辖区用户的联系方式",
    anyone(when=is_themselves),
    grant(Role.ADMIN, when=holds_their_jurisdiction),
)
declare(
    "routing_rule.manage",
    "只有系统管理员可以设置通知规则",
    grant(Role.ADMIN),
    within=rule_in_own_subtree,
    outside="只能在本辖区内设置通知规则",
)
