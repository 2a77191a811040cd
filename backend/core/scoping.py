"""Row-level scoping: the one ``visible_to(user)`` method every scoped queryset has.

Rules (docs/security.md): a user sees the subtree of their home jurisdiction; an admin's subtree is the
same but admins also manage users there.  Models add team-membership visibility in their own
``scope_q``.  Out-of-scope objects are simply absent, which the API turns into 404.
"""

from __future__ import annotations

import time
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


# How long a user object reuses the scope it built.  Scopes nest (a leave request is seen through its case,
# a case through its person) and a console page asks for ten of them: building each person scope again
# was a third of the person page (profiled in-process).  A scope only changes with the user's roles, home or
# grants, which a request does not change; the bound keeps a long-lived user object (a scheduler loop)
# from carrying an expired grant's "now" for more than a moment.
SCOPE_REUSE_SECONDS = 1.0


class ScopedQuerySet(models.QuerySet):
    """Subclasses implement ``scope_q(user)``; callers only ever call ``visible_to``."""

    def scope_q(self, user: User) -> Q:
        raise NotImplementedError

    def visible_to(self, user: User | None) -> ScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(_scope(self, user))


def _scope(queryset: ScopedQuerySet, user: User) -> Q:
    """``queryset.scope_q(user)``, built once per queryset class and user object for a moment."""
    cache = user.__dict__.setdefault("_scopes", {})
    key = (type(queryset), queryset.model)
    now = time.monotonic()
    hit = cache.get(key)
    if hit is None or now - hit[0] > SCOPE_REUSE_SECONDS:
        hit = cache[key] = (now, queryset.scope_q(user))
    return hit[1]
