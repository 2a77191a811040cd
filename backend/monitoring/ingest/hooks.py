"""What runs after each committed batch: zone evaluation and alarm handling.

Hooks run in the writer thread, in commit order, after the transaction is durable.  A hook that raises
is logged and counted; it never un-acknowledges a fix (the fixes are stored) and never stops the writer.
``register_monitoring_hooks`` is what the gateway's storage registers at start (``storage.DjangoStorage``).
"""

from __future__ import annotations

from collections.abc import Callable

from backend.monitoring.device_alarms import alerts_from_batch
from backend.monitoring.implausible import alerts_from_implausible
from backend.monitoring.zone_watch import ZoneEvaluator
from gps_gateway.rows import FixRow

PostCommitHook = Callable[[list[FixRow]], None]
_hooks: list[PostCommitHook] = []


def register(hook: PostCommitHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def unregister(hook: PostCommitHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def registered() -> list[PostCommitHook]:
    return list(_hooks)


def register_monitoring_hooks() -> None:
    """The monitoring hooks, in the order the writer calls them after each commit."""
    register(alerts_from_batch)
    register(alerts_from_implausible)
    register(ZoneEvaluator())
