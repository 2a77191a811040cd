"""What runs after each committed batch: zone evaluation and alarm handling ([Monitoring] registers them).

Hooks run in the writer thread, in commit order, after the transaction is durable.  A hook that raises
is logged and counted; it never un-acknowledges a fix (the fixes are stored) and never stops the writer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gps_gateway.writer import FixRow

PostCommitHook = Callable[[list["FixRow"]], None]
_hooks: list[PostCommitHook] = []


def register(hook: PostCommitHook) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def unregister(hook: PostCommitHook) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def registered() -> list[PostCommitHook]:
    return list(_hooks)
