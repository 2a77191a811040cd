"""The channels (渠道): one folder each, each with a ``transport.py`` offering ``send``."""

from __future__ import annotations

from django.conf import settings

from notifications.channels.base import Transport
from notifications.models import Channel


def configured_channels() -> set[str]:
    """Channels this installation can send on (the inbox and webhooks always; SMS and e-mail once set up)."""
    found = {Channel.INBOX, Channel.WEBHOOK}
    if settings.SMS_PROVIDER:
        found.add(Channel.SMS)
    if settings.EMAIL_HOST:
        found.add(Channel.EMAIL)
    return found


def transport_for(channel: str) -> Transport:
    # Imported on first use: a sender loads only the transports (SMTP, HTTP clients) of channels it sends on.
    if channel == Channel.INBOX:
        from notifications.channels.inbox import transport
    elif channel == Channel.EMAIL:
        from notifications.channels.email import transport
    elif channel == Channel.SMS:
        from notifications.channels.sms import transport
    elif channel == Channel.WEBHOOK:
        from notifications.channels.webhook import transport
    else:
        raise ValueError(f"unknown channel {channel!r}")
    return transport
