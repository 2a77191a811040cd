"""Who hears of an alert, and how (通知路由).

Built-in routes, always applied:
- step 0 (not escalated): the case officer who owns the alert and whoever it is assigned to; with no owner,
  the office staff of the alert's jurisdiction;
- step ≥ 1 (escalated up the jurisdiction tree, unacknowledged: docs/monitoring.md, "Alerts"): the
  supervisors (监督管理人员) of the jurisdiction it escalated to; failing those the county head; failing
  that its office staff.
Channels of a built-in route follow severity: the in-app inbox always; SMS, e-mail and webhook from the
minimum severity configured for each (defaults high / medium / medium).  Low alerts reach e-mail only in
the daily digest (notifications/digest.py).

``RoutingRule`` rows add recipients (a role at the target jurisdiction, or one user) with their own
channels.  Every addressed channel needs the recipient's enabled contact point and the channel configured
on this installation; the inbox needs neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from backend.core.models import Jurisdiction, Role, User
from backend.monitoring.models import SEVERITY_RANK, Alert, Severity
from notifications.channels import configured_channels
from notifications.models import ADDRESSED_CHANNELS, Channel, ContactPoint, RoutingRule

OFFICE_STAFF = (Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER)
ESCALATION_ROLES = ((Role.SUPERVISOR,), (Role.COUNTY_HEAD,), OFFICE_STAFF)


@dataclass(frozen=True)
class Route:
    recipient: User
    channel: str


_memo: ContextVar[dict | None] = ContextVar("routing_memo", default=None)


@contextmanager
def memoised() -> Iterator[None]:
    """Inside this block routing reads each jurisdiction's role holders, its rules and each recipient's
    contact points once.  For the sweep, which raises thousands of alerts in one batch (bench/scheduler.py:
    the routing queries were a large part of an alert's cost); a change made meanwhile is seen by the next block."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _cached(key: tuple, load: Callable[[], Any]) -> Any:
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def _rank(severity: str) -> int:
    return SEVERITY_RANK[Severity(severity)]


def _holders(jurisdiction: Jurisdiction, roles: tuple[str, ...]) -> list[User]:
    return _cached(
        ("holders", jurisdiction.pk, roles),
        lambda: list(
            User.objects.filter(jurisdiction=jurisdiction, is_active=True, roles__role__in=roles)
            .distinct()
            .order_by("pk")
        ),
    )


def _reachable(user_ids: set[int]) -> set[tuple[int, str]]:
    """(user, channel) pairs with an enabled contact point."""

    def load(ids) -> set[tuple[int, str]]:
        return set(
            ContactPoint.objects.filter(user_id__in=ids, enabled=True).values_list("user_id", "channel")
        )

    memo = _memo.get()
    if memo is None:
        return load(user_ids)
    known: dict[int, set[tuple[int, str]]] = memo.setdefault("reachable", {})
    if missing := user_ids - known.keys():
        for user_id in missing:
            known[user_id] = set()
        for pair in load(missing):
            known[pair[0]].add(pair)
    return set().union(*(known[u] for u in user_ids))


def target_of(alert: Alert, step: int) -> Jurisdiction:
    return alert.escalated_to if step > 0 and alert.escalated_to_id else alert.jurisdiction


def built_in_recipients(alert: Alert, step: int) -> list[User]:
    target = target_of(alert, step)
    if step == 0:
        people = [u for u in (alert.owner, alert.assignee) if u is not None and u.is_active]
        return people or _holders(target, OFFICE_STAFF)
    for roles in ESCALATION_ROLES:
        if found := _holders(target, roles):
            return found
    return []


def severity_channels(severity: str) -> list[str]:
    rank = _rank(severity)
    return [Channel.INBOX] + [
        channel
        for channel in ADDRESSED_CHANNELS
        if rank >= _rank(settings.NOTIFY_MIN_SEVERITY[channel]) and rank > _rank(Severity.LOW)
    ]


def matching_rules(alert: Alert, step: int) -> list[RoutingRule]:
    target = target_of(alert, step)
    ancestor_ids = [int(part) for part in target.path.strip("/").split("/") if part]
    rules = _cached(
        ("rules", target.pk, step),
        lambda: list(
            RoutingRule.objects.filter(
                Q(escalation_level__isnull=True) | Q(escalation_level=step),
                jurisdiction_id__in=ancestor_ids,
                enabled=True,
            ).select_related("user")
        ),
    )
    rank = _rank(alert.severity)
    return [r for r in rules if (not r.kinds or alert.kind in r.kinds) and rank >= _rank(r.min_severity)]


def routes_for(alert: Alert, step: int) -> list[Route]:
    """Every (recipient, channel) this step of the alert goes to, each once."""
    wanted: dict[int, tuple[User, set[str]]] = {}

    def want(user: User, channels: list[str]) -> None:
        if user.is_active:
            wanted.setdefault(user.pk, (user, set()))[1].update(channels)

    for user in built_in_recipients(alert, step):
        want(user, severity_channels(alert.severity))
    target = target_of(alert, step)
    for rule in matching_rules(alert, step):
        users = [rule.user] if rule.user is not None else _holders(target, (rule.role,))
        for user in users:
            want(user, [Channel.INBOX, *rule.channels])
    if not wanted:
        return []
    configured = configured_channels()
    reachable = _reachable(set(wanted))
    routes = []
    for user_pk, (user, channels) in sorted(wanted.items()):
        for channel in sorted(channels):
            if channel == Channel.INBOX or (channel in configured and (user_pk, channel) in reachable):
                routes.append(Route(user, channel))
    return routes
