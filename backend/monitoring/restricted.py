"""What of an alert a reader sees when its person is out of their reach.

An office sees, and must handle, every alert of its subtree by the alert's own jurisdiction — also alerts
about a minor's or sealed file it may not open without a grant (docs/people.md).  Such an alert keeps what
handling it needs (kind, severity, times, state, owner, escalation, the ids of its person, case and
device) and loses the rest of the person's data: its details (zones, fix times, distances), the notes of
its timeline and its resolution note (free text about the person), and each event's details — the person
rule (``person_scope_q``) decides, through ``Person.objects.visible_to``, as for every other read.
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.core.models import User
from backend.monitoring.models import Alert, AlertEvent
from backend.people.models import Person


def persons_in_reach(user: User, person_ids: Iterable[int | None]) -> set[int]:
    """The ids among ``person_ids`` whose files ``user`` may open (one query)."""
    wanted = {pk for pk in person_ids if pk is not None}
    if not wanted:
        return set()
    return set(Person.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))


def withhold_out_of_reach(user: User, alerts: list[Alert]) -> list[Alert]:
    """Mark each alert ``restricted`` or not, and strip the person's data from the restricted ones (in
    memory only: the objects must not be saved afterwards)."""
    reach = persons_in_reach(user, (a.person_id for a in alerts))
    for alert in alerts:
        alert.restricted = alert.person_id is not None and alert.person_id not in reach
        if alert.restricted:
            alert.details = {}
            alert.resolution_note = None
    return alerts


def shown_events(alert: Alert, events: Iterable[AlertEvent]) -> list[AlertEvent]:
    """An alert's timeline as its reader may see it (after ``withhold_out_of_reach``)."""
    events = list(events)
    if getattr(alert, "restricted", True):  # not looked at: withhold
        for event in events:
            event.note = None
            event.details = {}
    return events
