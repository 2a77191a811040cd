"""Row-level scoping: the one ``visible_to(user)`` method every scoped queryset has.

Rules (docs/security.md): a user sees the subtree of their home jurisdiction; an admin's subtree is the
same but admins also manage users there.  Models add team-membership visibility in their own
``scope_q``.  Out-of-scope objects are simply absent, which the API turns into 404.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from django.db import models
from django.db.models import Q

T = TypeVar("T")


class Place(Protocol):
    path: str  # the jurisdiction's materialised path ("/99/9901/…")


class Viewer(Protocol):
    """What scoping reads of a user (``core.models.User`` is one; the models import this module, so it
    names what it needs instead of importing them)."""

    is_authenticated: bool
    is_active: bool
    jurisdiction: Place | None


def jurisdiction_subtree_q(user: Viewer, field: str) -> Q:
    """Objects whose ``field`` (a Jurisdiction FK path, e.g. "jurisdiction") lies in the user's subtree."""
    home = user.jurisdiction
    if home is None:
        return Q(pk__in=[])
    prefix = f"{field}__" if field else ""
    return Q(**{f"{prefix}path__startswith": home.path})


# How long a user object reuses the scope it built.  Scopes nest (a leave request is seen through its case,
# a case through its person) and a console page asks for ten of them: building each person scope again
# was a large part of the person page's time.  A scope only changes with the user's roles, home or
# grants, which a request does not change; the bound keeps a long-lived user object (a scheduler loop)
# from carrying an expired grant's "now" for more than a moment.
SCOPE_REUSE_SECONDS = 1.0


class ScopedManager(models.Manager):
    """``Model.objects.visible_to(user)`` builds the scoped queryset once per user object for a moment
    (``reused``) and hands out clones: adding the scope's filter to a query (resolving every lookup and
    join) is dear on each of a page's queries, a clone of the finished queryset cheap."""

    def visible_to(self, user: Viewer | None, *, of: models.Model | None = None) -> ScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.get_queryset().none()
        if type(self).get_queryset is not models.Manager.get_queryset:
            # A related manager (``person.cases``) filters by its instance: one class serves them all.
            return self.get_queryset().visible_to(user, of=of)
        key = (type(self), self.model, self._db, "scoped", None if of is None else of.pk)
        return reused(user, key, lambda: self.get_queryset().visible_to(user, of=of))._chain()


class ScopedQuerySet(models.QuerySet):
    """Subclasses implement ``scope_q(user)``; callers only ever call ``visible_to``."""

    @classmethod
    def as_manager(cls) -> ScopedManager:
        manager = ScopedManager.from_queryset(cls)()
        manager._built_with_as_manager = True
        return manager

    as_manager.__func__.queryset_only = True

    def scope_q(self, user: Viewer) -> Q:
        raise NotImplementedError

    def visible_to(self, user: Viewer | None, *, of: models.Model | None = None) -> ScopedQuerySet:
        """What ``user`` may see; with ``of`` (a person), only that person's rows.

        A person the user was just shown to reach (``vouch_reach``, as the person page's first query does)
        needs no person rule compiled again into each of the page's other queries: their rows are
        visible as far as the model's own conditions (its roles) allow — ``scope_q(user, of=person)``.
        Any other person gets the whole rule, narrowed to their rows.
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if of is None:
            return self.filter(_scope(self, user))
        rows = reused(user, (type(self), self.model, "of", of.pk), lambda: self.scope_q(user, of=of))
        if recalls(user, (_REACHED, of.pk)):
            return self.filter(rows)
        return self.filter(_scope(self, user)).filter(rows)


def _scope(queryset: ScopedQuerySet, user: Viewer) -> Q:
    """``queryset.scope_q(user)``, built once per queryset class and user object for a moment."""
    return reused(user, (type(queryset), queryset.model), lambda: queryset.scope_q(user))


def reused(user: Viewer, key: object, build: Callable[[], T]) -> T:
    """``build()``, kept on the user object under ``key`` for ``SCOPE_REUSE_SECONDS``: the scopes, and the
    facts about the user they are built from (which teams, which grants)."""
    cache = user.__dict__.setdefault("_scopes", {})
    now = time.monotonic()
    hit = cache.get(key)
    if hit is None or now - hit[0] > SCOPE_REUSE_SECONDS:
        hit = cache[key] = (now, build())
    return hit[1]


_REACHED = "person in reach"


def vouch_reach(user: Viewer, person: models.Model) -> None:
    """Note that ``person`` was just found through ``visible_to(user)`` (for ``visible_to(…, of=person)``)."""
    reused(user, (_REACHED, person.pk), lambda: True)


def recalls(user: Viewer, key: object) -> bool:
    """Whether ``user`` holds a fresh ``reused`` entry under ``key`` (without building one)."""
    hit = user.__dict__.get("_scopes", {}).get(key)
    return hit is not None and time.monotonic() - hit[0] <= SCOPE_REUSE_SECONDS


def forget_scopes(user: Viewer) -> None:
    """Drop what this user object reuses: the actions that change what a user sees call it (roles, teams,
    grants), so the object in hand sees the change at once; a web request has its own object anyway."""
    user.__dict__.pop("_scopes", None)
