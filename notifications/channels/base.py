"""What every channel's transport offers, and the two ways a send can fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from notifications.models import ContactPoint, Delivery


class SendError(Exception):
    """A send that did not go through.  ``code`` is short and safe to store: a status or an error name,
    never the message, the address or anything the provider echoed back."""

    retry = False

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code[:200]


class TransientError(SendError):
    """Worth trying again later: connection refused, timeout, 5xx, throttling."""

    retry = True


class PermanentError(SendError):
    """Trying again will not help: a rejected address, a refused signature, no contact point."""


@dataclass(frozen=True)
class Message:
    """One alert (or digest) rendered for sending; no name or ID number ever goes in (docs/security.md,
    "Personal data")."""

    subject: str
    text: str  # short: SMS and the first line of the rest
    body: str  # longer: e-mail and inbox
    link: str  # the one-time acknowledge link ("" for a digest)
    payload: dict = field(default_factory=dict)  # webhook JSON
    params: dict = field(default_factory=dict)  # SMS template parameters (providers with templates)


class Transport(Protocol):
    def send(self, delivery: Delivery, message: Message, contact: ContactPoint | None) -> str:
        """Send once; return the provider's message id ("" if none).  Raise SendError on failure."""
        ...
