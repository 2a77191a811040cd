"""Who may open which person's file: the one rule every row seen through its person is scoped by.

The rule reads two facts from the models it scopes (a case, a team, a grant), so it cannot import them
without a circle: which persons a user reaches through their teams and grants, and which persons have a
mental-health case.  The people app hands both in at start (``PeopleConfig.ready`` → ``provide_reach``;
``backend/people/reach.py`` reads them).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

from django.db.models import Model, Q, QuerySet

from backend.core.models import Role
from backend.core.scoping import jurisdiction_subtree_q, reused

# Roles that see every person in their jurisdiction subtree.  Others see only the people whose team they are
# on (team members, police liaisons) or, for health workers, mental-health patients in their subtree.
OFFICE_ROLES = (Role.ADMIN, Role.COUNTY_OFFICER, Role.COUNTY_HEAD, Role.TOWNSHIP_OFFICER, Role.SUPERVISOR)

# (persons on the user's active teams, persons they hold an active grant for): ids, or a query.
Reach = Callable[[Any], tuple]
_reach_of: Reach | None = None
_mental_health_persons: Callable[[], QuerySet] | None = None


def provide_reach(*, reach: Reach, mental_health_persons: Callable[[], QuerySet]) -> None:
    """Hand the rule its two facts (``PeopleConfig.ready``): whom a user reaches through teams and grants,
    and the persons with a mental-health case (a subquery of person ids)."""
    global _reach_of, _mental_health_persons
    _reach_of, _mental_health_persons = reach, mental_health_persons


def person_scope_q(user, via: str = "", of: Model | None = None) -> Q:
    """Who may open which file (docs/people.md, "Who sees whom"), for persons reached through ``via``.

    - office roles: their jurisdiction subtree;
    - health workers: mental-health patients in their subtree, and people they registered;
    - everyone: the people on whose active team they serve.
    Minors' and sealed files additionally need an active AccessGrant, whatever the role.

    Rows seen through their person (a case, its check-ins, an alert) pass ``via`` ("person__",
    "case__person__") and are filtered through a join to the person, not an EXISTS nested inside their
    own: every level of nesting cost Django more to build and compile on each query of a page than the
    SQL took to run.  The teams and grants are read once
    for the scope (``core.scoping.reused``), which is as old as the "now" a grant's expiry is compared with.

    With ``of``, the rows of that one person, whom ``visible_to(user, of=…)`` has shown to be in reach.
    """

    def field(name: str) -> str:
        return f"{via}{name}"

    if of is not None:
        return Q(**{field("pk"): of.pk})

    if _reach_of is None or _mental_health_persons is None:
        raise RuntimeError("person_scope_q before PeopleConfig.ready() provided the reach")
    reach_of = _reach_of
    teams, grants = reused(user, "person_reach", lambda: reach_of(user))
    subtree = jurisdiction_subtree_q(user, field("jurisdiction"))
    # An empty list of teams or grants adds no term: each term is built and compiled on every query.
    ways = [Q(**{field("pk__in"): teams})] if _some(teams) else []
    if user.has_role(*OFFICE_ROLES):
        ways.append(subtree)
    if user.has_role(Role.HEALTH_WORKER):
        mental = _mental_health_persons()
        # …and the people they registered themselves, who have no mental-health case until they open one.
        ways.append(subtree & (Q(**{field("pk__in"): mental}) | Q(**{field("created_by"): user})))
    if not ways:
        return Q(pk__in=[])
    reach = functools.reduce(operator.or_, ways)
    unrestricted = Q(**{field("is_minor"): False, field("is_sealed"): False})
    if _some(grants):
        unrestricted |= Q(**{field("pk__in"): grants})
    return reach & unrestricted


def _some(ids) -> bool:
    """A non-empty list of ids, or a query (which the reach hands over only when it found many)."""
    return not isinstance(ids, list) or bool(ids)
