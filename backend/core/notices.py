"""The notice port (通知): how an action tells members of staff of a decision that concerns them — a
proposal approved, refused or expired, told to the one who proposed it.

The deciding package (people, monitoring, supervision) says who is told and with what text; the package that
sends (notifications, above them all) registers its implementation in its ``AppConfig.ready()``.  A notice
is queued in the caller's transaction, so a decision and its notice commit together.  With nothing
registered a notice raises ``NoNoticeSender`` and the decision rolls back: a proposer is never left
uninformed quietly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from backend.core.models import User


class NoNoticeSender(RuntimeError):
    """No package registered a notice sender (notifications is not installed or not ready)."""


# (users, title=, text=, link=) → deliveries queued (the in-app inbox, and e-mail where set up).
_sender: Callable[..., int] | None = None


def register(sender: Callable[..., int]) -> None:
    """Set the sender (one: two would queue every notice twice); a second call replaces the first."""
    global _sender
    _sender = sender


def notify_staff(users: Iterable[User], *, title: str, text: str, link: str = "") -> int:
    """Tell staff of a decision.  ``text`` is shown in the inbox (encrypted at rest) and must not carry more
    personal data than the recipient may already see; ``link`` is a console path.  Returns deliveries queued."""
    if _sender is None:
        raise NoNoticeSender("没有注册通知发送方，通知未能排队")
    return _sender(users, title=title, text=text, link=link)
