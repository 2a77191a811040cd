"""Row-level scoping: the one ``visible_to(user)`` method every scoped queryset has.

Rules (docs/security.md): a user sees the subtree of their home jurisdiction; an admin's subtree is the
same but admins also manage users there.  Models add team-membership visibility in their own
``scope_q``.  Out-of-scope objects are simply absent, which the API turns into 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from backend.core.models import User


def jurisdiction_subtree_q(user: User, field: str) -> Q:
    """Objects whose ``field`` (a Jurisdiction FK path, e.g. "jurisdiction") lies in the user's subtree."""
    home = user.jurisdiction
    if home is None:
        return Q(pk__in=[])
    prefix = f"{field}__" if field else ""
    return Q(**{f"{prefix}path__startswith": home.path})


class ScopedQuerySet(models.QuerySet):
    """Subclasses implement ``scope_q(user)``; callers only ever call ``visible_to``."""

    def scope_q(self, user: User) -> Q:
        raise NotImplementedError

    def visible_to(self, user: User | None) -> ScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(self.scope_q(user))
