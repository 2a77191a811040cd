"""Who an alert may be handed to (指派对象): someone who may see it, open its person's file, and see location
data — the correction office's roles (社区矫正法 Art. 29, as ``console.maps.may_see_locations`` and the
track API).  A team member or police liaison on the person's team opens the file but sees no fixes; a
minor's or sealed file needs the assignee's own grant.

``assignees`` is one query over the users that inverts the person rule (``person_scope_q``) for the office's
roles; ``may_be_assigned`` asks the rule itself for one user, and the assign action trusts only that
(``tests/monitoring/test_alert_assignees.py`` checks that both name the same people).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from backend.core.models import User
from backend.monitoring.models import Alert
from backend.people.models import AccessGrant, Person
from backend.people.models.scope import OFFICE_ROLES
from backend.people.models.team import TeamMember

LIST_LIMIT = 200


def _chain(path: str) -> list[int]:
    """A jurisdiction and its ancestors, from its path ("/1/4/9/"): whose subtree holds it."""
    return [int(part) for part in path.strip("/").split("/") if part]


def assignees(alert: Alert, by: User) -> list[User]:
    """The active users ``by`` may see to whom ``alert`` may be assigned, by name."""
    users = User.objects.visible_to(by).filter(is_active=True, roles__role__in=OFFICE_ROLES)
    if alert.person_id is None:
        users = users.filter(jurisdiction_id__in=_chain(alert.jurisdiction.path))
    else:
        person = Person.objects.select_related("jurisdiction").get(pk=alert.person_id)
        on_team = TeamMember.objects.filter(team__case__person=person, left_at__isnull=True).values("user_id")
        users = users.filter(Q(jurisdiction_id__in=_chain(person.jurisdiction.path)) | Q(pk__in=on_team))
        if person.is_restricted:
            granted = AccessGrant.objects.filter(
                person=person, revoked_at__isnull=True, expires_at__gt=timezone.now()
            ).values("user_id")
            users = users.filter(pk__in=granted)
    return list(users.distinct().order_by("display_name", "id")[:LIST_LIMIT])


def may_be_assigned(alert: Alert, user: User) -> bool:
    """Whether ``user`` may be handed ``alert``: the rule itself, for one user."""
    if not (user.is_active and user.has_role(*OFFICE_ROLES)):
        return False
    if not Alert.objects.visible_to(user).filter(pk=alert.pk).exists():
        return False
    return alert.person_id is None or Person.objects.visible_to(user).filter(pk=alert.person_id).exists()
