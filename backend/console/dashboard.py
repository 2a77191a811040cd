"""What the dashboard (工作台) shows one user: every figure starts from ``visible_to(user)``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, ExpressionWrapper, F, Q, TextField, prefetch_related_objects
from django.utils import timezone

from backend.core.models import User
from backend.core.policy import may
from backend.monitoring.models import Alert, AlertKind, Device, LocationOrder, LocationOrderRenewal
from backend.monitoring.queries import online_since
from backend.people.colour import GREEN, RED, YELLOW, with_colour
from backend.people.models import Case, Person
from backend.people.models.case import OPEN_STATUSES
from backend.supervision.actions import sanction_proposals
from backend.supervision.actions.leave import awaiting_q
from backend.supervision.models import LeaveRequest, Sanction, SanctionKind, SanctionSuggestion

from .names import give_names
from .views.common import SHANGHAI

ALERT_LIMIT = 50
BOARD_LIMIT = 300
# A location order this close to its end is shown to the county head for renewal or removal of the tag.
ORDER_EXPIRY_WARNING_DAYS = 7


def my_alerts_q(user: User) -> Q:
    """Mine: I own it or it was assigned to me, it escalated to my office, or nobody owns it in my office."""
    q = Q(owner=user) | Q(assignee=user)
    if user.jurisdiction_id:
        q |= Q(escalated_to_id=user.jurisdiction_id) | Q(
            owner__isnull=True, jurisdiction_id=user.jurisdiction_id
        )
    return q


def open_order_proposals(user: User):
    """Electronic-location proposals of the sanction rules still waiting for the county head (Art. 29)."""
    return SanctionSuggestion.objects.visible_to(user).filter(
        kind=SanctionKind.LOCATION_ORDER, state=SanctionSuggestion.State.OPEN
    )


class BoardEntry(NamedTuple):
    """A person on the colour board: plain values, not a Person (a model instance for each person on the board was a visible part of the page's time).
    The board counts green people and names the others: a green entry carries no name."""

    pk: int
    name: str | None
    colour: str


def my_people(user: User, *, everyone: bool = False):
    """The people whose open case I hold, or (``everyone``) everyone in reach with an open case: the board
    of staff who hold no case themselves (heads, county staff)."""
    visible = Person.objects.visible_to(user)
    cases = Case.objects.filter(status__in=OPEN_STATUSES)
    return visible.filter(pk__in=(cases if everyone else cases.filter(officer=user)).values("person_id"))


def _board(user: User) -> list[BoardEntry]:
    name_field = Person._meta.get_field("name")

    def entries(people) -> list[BoardEntry]:
        # The name comes as stored and is decrypted only for the red and yellow people the board names.
        stored = ExpressionWrapper(F("name"), output_field=TextField())
        rows = with_colour(people).order_by("id").values_list("id", stored, "colour")[:BOARD_LIMIT]
        return [
            BoardEntry(pk, None if colour == GREEN else name_field.from_db_value(token, None, None), colour)
            for pk, token, colour in rows
        ]

    # Asking for mine first and falling back costs an officer one query instead of two.
    mine = entries(my_people(user))
    if mine or Case.objects.filter(officer=user, status__in=OPEN_STATUSES).exists():
        return mine
    return entries(my_people(user, everyone=True))


@dataclass
class Dashboard:
    alerts: list[Alert]
    alert_counts: list[tuple[str, str, int]]  # (kind, label, count) of every unresolved alert in reach
    board: dict[str, list[BoardEntry]]
    board_counts: dict[str, int]
    devices_offline: list[Device]
    missed_today: list[Alert]
    leave_waiting: list[LeaveRequest]
    orders_expiring: list[LocationOrder] = field(default_factory=list)
    order_proposals: list[SanctionSuggestion] = field(default_factory=list)  # for the county head
    # Proposals waiting for this user's decision (counts only: the approvals page names them).
    orders_awaiting: int = 0  # location orders and renewals an officer proposed (the county head)
    sanctions_awaiting: int = 0  # sanctions a 司法所 proposed (the county's officers)
    named: set[int] = field(default_factory=set)  # the lists' people whose names were given (names.py)

    def person_ids(self) -> list[int]:
        """Whose names the page shows (for the audit row)."""
        ids = {p.pk for people in self.board.values() for p in people if p.name is not None}
        return sorted(ids | self.named)


def build(user: User, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    alerts_in_reach = Alert.objects.visible_to(user).unresolved()
    alerts = list(alerts_in_reach.filter(my_alerts_q(user)).order_by("due_at", "id")[:ALERT_LIMIT])
    labels = dict(AlertKind.choices)
    counts = alerts_in_reach.values("kind").annotate(n=Count("id")).order_by("-n", "kind")
    alert_counts = [(row["kind"], labels.get(row["kind"], row["kind"]), row["n"]) for row in counts]

    people = _board(user)
    board: dict[str, list[BoardEntry]] = {RED: [], YELLOW: [], GREEN: []}
    for person in people:
        board[person.colour].append(person)
    board_counts = dict(Counter(p.colour for p in people))

    since = online_since(now)
    offline = list(
        Device.objects.visible_to(user)
        .filter(retired_at__isnull=True, person__isnull=False)
        .filter(Q(last_seen_at__lt=since) | Q(last_seen_at__isnull=True))
        .order_by("last_seen_at", "id")[:100]
    )
    midnight = dt.datetime.combine(timezone.localtime(now, SHANGHAI).date(), dt.time(0), tzinfo=SHANGHAI)
    missed = list(
        Alert.objects.visible_to(user)
        .filter(kind=AlertKind.MISSED_CHECKIN, opened_at__gte=midnight)
        .order_by("-opened_at")[:100]
    )
    waiting = list(
        LeaveRequest.objects.visible_to(user).filter(awaiting_q(user)).order_by("starts_on", "id")[:100]
    )
    if waiting:  # usually nothing waits: the join to cases is made only for the requests there are
        prefetch_related_objects(waiting, "case")
    orders: list[LocationOrder] = []
    proposals: list[SanctionSuggestion] = []
    orders_awaiting = sanctions_awaiting = 0
    if may(user, "location_order.approve"):  # the county head: orders to renew, proposals to decide
        proposals = list(open_order_proposals(user).select_related("case").order_by("created_at", "id")[:100])
        orders_awaiting = LocationOrder.objects.visible_to(user).proposed().count() + (
            LocationOrderRenewal.objects.filter(
                decision="proposed", order__in=LocationOrder.objects.visible_to(user)
            ).count()
        )
        today = timezone.localtime(now, SHANGHAI).date()
        orders = list(
            LocationOrder.objects.visible_to(user)
            .in_force(today)
            .filter(ends_on__lte=today + dt.timedelta(days=ORDER_EXPIRY_WARNING_DAYS))
            .order_by("ends_on", "id")
        )
    sanction_queue = sanction_proposals.awaiting_q(user, now)
    if sanction_queue != Q(pk__in=[]):  # only a county's officers decide proposals: others ask nothing
        sanctions_awaiting = Sanction.objects.visible_to(user).filter(sanction_queue).count()
    named = give_names(
        user, alerts, offline, missed, orders, [lv.case for lv in waiting], [s.case for s in proposals]
    )
    return Dashboard(
        alerts, alert_counts, board, board_counts, offline, missed, waiting, orders, proposals,
        orders_awaiting, sanctions_awaiting, named,
    )  # fmt: skip
