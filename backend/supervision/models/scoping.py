"""Scoping for supervision records: they are seen through their case (``Case.objects.visible_to``)."""

from __future__ import annotations

from django.db.models import Q

from backend.core.scoping import ScopedQuerySet
from backend.people.models.scope import OFFICE_ROLES, person_scope_q


class CaseScopedQuerySet(ScopedQuerySet):
    """Rows of the cases the user may see (check-ins, follow-ups)."""

    def scope_q(self, user, of=None) -> Q:
        return person_scope_q(user, "case__person__", of)  # seen with its case, which is seen with its person


class OfficeCaseScopedQuerySet(CaseScopedQuerySet):
    """As above, for the correction office only: leave (where a subject is, like location data) and
    sanctions (criminal-status detail, like ``sees_criminal_details``)."""

    def scope_q(self, user, of=None) -> Q:
        return super().scope_q(user, of) if user.has_role(*OFFICE_ROLES) else Q(pk__in=[])
