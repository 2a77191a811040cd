"""Who may act (写权限): one question, ``may(user, action, obj)``, and ``require`` that refuses with the
rule's own Chinese message — over rules each app declares at start.

NetBox's ``restrict(user, action)`` is the model: one entry point, rules as data.  Core cannot import the
apps above it, so each app declares its actions in its ``permissions.py``, which its ``AppConfig.ready()``
imports; core declares its own below.  An action is declared once; asking about an undeclared one is a
programming error (KeyError), never a silent yes or no.

A rule is a list of grants (any one lets the user act), each a set of roles and, where the object decides
too, a named condition on it (the case's kind, the alert's assignee, the request's author).  ``within``
adds where the object must lie (the actor's jurisdiction subtree), refused with its own message; asked
only when there is an object (without one, the roles alone decide, e.g. whether a page shows a form).
What a user may *see* stays with ``visible_to`` (backend/core/scoping.py): out of scope is 404, not 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from backend.core.errors import Forbidden
from backend.core.models import Jurisdiction, Role, User

Condition = Callable[[User, Any], bool]


@dataclass(frozen=True)
class Grant:
    """``roles`` (None: whatever roles the user holds) and, optionally, a condition on the user and object."""

    roles: tuple[str, ...] | None
    when: Condition | None = None

    def allows(self, user: User, obj: Any) -> bool:
        if self.roles is not None and not user.has_role(*self.roles):
            return False
        return self.when is None or self.when(user, obj)

    def describe(self) -> tuple[tuple[str, ...] | str, str]:
        roles = "*" if self.roles is None else tuple(sorted(str(r) for r in self.roles))
        return roles, (self.when.__name__ if self.when else "")


@dataclass(frozen=True)
class Rule:
    action: str
    grants: tuple[Grant, ...]
    refusal: str | Callable[[Any], Forbidden]
    details: dict[str, Any] = field(default_factory=dict)
    within: Condition | None = None
    outside: str = ""

    def refused(self, user: User, obj: Any) -> Forbidden | None:
        if not any(grant.allows(user, obj) for grant in self.grants):
            if callable(self.refusal):
                return self.refusal(obj)
            return Forbidden(self.refusal, dict(self.details) or None)
        if self.within is not None and obj is not None and not self.within(user, obj):
            return Forbidden(self.outside, dict(self.details) or None)
        return None


_rules: dict[str, Rule] = {}


def grant(*roles: str, when: Condition | None = None) -> Grant:
    return Grant(tuple(roles), when)


def anyone(when: Condition) -> Grant:
    """Whatever the user's roles, when the condition holds (e.g. the alert is assigned to them)."""
    return Grant(None, when)


def declare(
    action: str,
    refusal: str | Callable[[Any], Forbidden],
    *grants: Grant,
    details: dict[str, Any] | None = None,
    within: Condition | None = None,
    outside: str = "",
) -> None:
    """Declare ``action`` once: who may do it, and what a refused user is told."""
    if action in _rules:
        raise ValueError(f"权限 {action!r} 已声明")
    if not grants:
        raise ValueError(f"权限 {action!r} 没有任何授权")
    if within is not None and not outside:
        raise ValueError(f"权限 {action!r} 的辖区限制缺少提示")
    _rules[action] = Rule(action, tuple(grants), refusal, details or {}, within, outside)


def may(user: User, action: str, obj: Any = None) -> bool:
    return _rules[action].refused(user, obj) is None


def require(user: User, action: str, obj: Any = None) -> None:
    """Raise ``Forbidden`` with the rule's message unless ``user`` may do ``action`` (to ``obj``)."""
    refused = _rules[action].refused(user, obj)
    if refused is not None:
        raise refused


def rules() -> dict[str, Rule]:
    """Every declared rule by action (for the table test and docs)."""
    return dict(_rules)


def table(actions: Iterable[str] | None = None) -> dict[str, tuple[list, str]]:
    """Each action's grants as (roles, condition name), and its ``within`` condition's name: the rules as
    data, for the table test and docs/security.md."""
    names = sorted(_rules) if actions is None else actions
    return {
        name: ([g.describe() for g in _rules[name].grants], getattr(_rules[name].within, "__name__", ""))
        for name in names
    }


# --- core's own rules ------------------------------------------------------------------------------


def in_own_subtree(user: User, jurisdiction: Jurisdiction) -> bool:
    return bool(user.jurisdiction and user.jurisdiction.contains(jurisdiction))


declare(
    "directory.manage",
    "仅系统管理员可以执行此操作",
    grant(Role.ADMIN),
    within=in_own_subtree,
    outside="只能管理本辖区及下级辖区",
)
