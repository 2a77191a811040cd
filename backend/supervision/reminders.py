"""The reminder port (提醒): how a due-item handler has staff or a supervised person reminded.

Supervision decides who is reminded and with what text; the package that sends (notifications, above it)
registers its implementation in its ``AppConfig.ready()``.  Reminders are queued in the caller's
transaction, so a handler's item and its reminder commit together.  With nothing registered a reminder
raises ``NoReminderSender``: the handler's transaction rolls back, its items stay claimed and are retried
when the claim's lease runs out — a reminder is never dropped quietly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from backend.core.models import User
from backend.supervision.models import DueItem


class NoReminderSender(RuntimeError):
    """No package registered a reminder sender (notifications is not installed or not ready)."""


@dataclass(frozen=True)
class ReminderSender:
    # (item, users, title=, text=) → deliveries queued: inbox / e-mail to office staff.
    staff: Callable[..., int]
    # ([(item, text), …], title=) → deliveries queued: SMS to each item's person (0 when SMS is not set up).
    people: Callable[..., int]


_sender: ReminderSender | None = None


def register(*, staff: Callable[..., int], people: Callable[..., int]) -> None:
    """Set the sender (one: two would queue every reminder twice); a second call replaces the first."""
    global _sender
    _sender = ReminderSender(staff=staff, people=people)


def registered() -> ReminderSender:
    if _sender is None:
        raise NoReminderSender("没有注册提醒发送方，提醒未能排队（事项将在租约到期后重试）")
    return _sender


def remind_staff(item: DueItem, users: Iterable[User], *, title: str, text: str) -> int:
    """Tell office staff of a due item (an order about to expire, a task due).  Returns deliveries queued."""
    return registered().staff(item, users, title=title, text=text)


def remind_people(items_and_texts: Iterable[tuple[DueItem, str]], *, title: str = "安帮提醒") -> int:
    """Remind each due item's person of it.  Returns deliveries queued (0: no way to reach people)."""
    return registered().people(items_and_texts, title=title)
