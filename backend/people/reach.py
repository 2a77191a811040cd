"""Whom a user reaches through their teams and grants, and who has a mental-health case: the two facts the
person rule (``backend/people/models/scope.py``) reads from the models it scopes, handed to it at start
(``PeopleConfig.ready``)."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from backend.people.models import AccessGrant, Case, CaseKind, Team, TeamMember

# The people a user reaches through their teams or grants are matched by a list of ids up to this many (an
# officer on a few dozen teams), and by a subquery beyond it (a police liaison on thousands).
INLINE_IDS_MAX = 500


def mental_health_persons() -> QuerySet:
    """The persons with a mental-health case, as a subquery of person ids."""
    return Case.objects.filter(kind=CaseKind.MENTAL_HEALTH).values("person_id")


def reach(user) -> tuple:
    """The persons on whose active team ``user`` serves and those they hold an active grant for: ids, or
    the query itself when there are more than ``INLINE_IDS_MAX``.

    Every request of every signed-in user asks this, so both lists come in one statement written once
    (``_reach_sql``) instead of two querysets built and compiled each time."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_reach_sql(), [user.pk, INLINE_IDS_MAX + 1, user.pk, now, INLINE_IDS_MAX + 1])
        rows = cursor.fetchall()
    teams = [pk for source, pk in rows if source == "t"]
    grants = [pk for source, pk in rows if source == "g"]
    if len(teams) > INLINE_IDS_MAX:
        teams = TeamMember.objects.filter(user=user, left_at__isnull=True).values_list(
            "team__case__person_id", flat=True
        )
    if len(grants) > INLINE_IDS_MAX:
        grants = AccessGrant.objects.filter(
            user=user, expires_at__gt=timezone.now(), revoked_at__isnull=True
        ).values_list("person_id", flat=True)
    return teams, grants


@functools.cache
def _reach_sql() -> str:
    """Active team memberships' persons ("t") and unexpired, unrevoked grants' persons ("g"), each list
    cut at the limit it is passed (the same rows as the querysets ``reach`` falls back to)."""
    q = connection.ops.quote_name
    member, team, case, grant = (q(m._meta.db_table) for m in (TeamMember, Team, Case, AccessGrant))
    return (
        f"SELECT 't', pid FROM (SELECT c.{q('person_id')} AS pid FROM {member} m"  # noqa: S608 (model names)
        f" JOIN {team} t ON t.{q('id')} = m.{q('team_id')} JOIN {case} c ON c.{q('id')} = t.{q('case_id')}"
        f" WHERE m.{q('user_id')} = %s AND m.{q('left_at')} IS NULL LIMIT %s) on_team"
        f" UNION ALL SELECT 'g', pid FROM (SELECT g.{q('person_id')} AS pid FROM {grant} g"
        f" WHERE g.{q('user_id')} = %s AND g.{q('expires_at')} > %s AND g.{q('revoked_at')} IS NULL"
        " LIMIT %s) granted"
    )
