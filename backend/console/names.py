"""Person names beside rows that are seen by a scope of their own.

An office sees the alerts and devices of its subtree by their own jurisdiction, which may include people
whose file it may not open: a minor's or sealed file without an access grant (docs/people.md).  The API
lists such a row with its ``person_id`` only, and ``GET /persons/{id}`` answers 404; the console shows
names, so it reads them through ``Person.objects.visible_to`` as well, and a person out of reach is shown
as ``RESTRICTED`` — the row stays (the alert must be handled), the name does not.
"""

from __future__ import annotations

from backend.core.models import User
from backend.core.scoping import vouch_reach
from backend.people.models import Person

RESTRICTED = "（受限档案）"


def give_names(user: User, *groups: list) -> set[int]:
    """Set ``row.person`` on the rows of every list to a Person holding only its name, read in one query;
    return the ids whose names were given (for the page's audit row)."""
    rows = [row for group in groups for row in group if row.person_id]
    if not rows:
        return set()
    wanted = {row.person_id for row in rows}
    people = {p.pk: p for p in Person.objects.visible_to(user).filter(pk__in=wanted).only("id", "name")}
    for row in rows:
        row.person = people.get(row.person_id) or restricted(row.person_id)
    return set(people)


def restricted(person_id: int) -> Person:
    """A stand-in for a person out of reach: their id (the row's own) and no name."""
    return Person(pk=person_id, name=RESTRICTED)


def in_reach(user: User, person_id: int | None) -> Person | None:
    """The person of a row, if ``user`` may open their file (then vouched for, as ``person_in_reach`` does,
    so the page's further queries may use ``visible_to(user, of=person)``); else None."""
    if person_id is None:
        return None
    person = Person.objects.visible_to(user).filter(pk=person_id).select_related("jurisdiction").first()
    if person is not None:
        vouch_reach(user, person)
    return person
