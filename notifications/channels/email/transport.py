"""E-mail through Django's SMTP backend (ANBANG_EMAIL_HOST …).

The idempotency key is the Message-ID: SMTP servers do not deduplicate, but mail clients and most
mailbox stores fold two messages with one Message-ID into one.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.channels.base import Message, PermanentError, TransientError
from notifications.models import ContactPoint, Delivery


def send(delivery: Delivery, message: Message, contact: ContactPoint | None) -> str:
    if contact is None:
        raise PermanentError("no_contact_point")
    key = delivery.idempotency_key
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.address],
        headers={"Message-ID": f"<{key}@anbang>", "X-Anbang-Delivery": key},
    )
    try:
        with get_connection(settings.NOTIFY_EMAIL_BACKEND, timeout=settings.EMAIL_TIMEOUT) as connection:
            connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        error = f"smtp_{codes[0] if codes else 'refused'}"
        raise (TransientError if codes and all(400 <= c < 500 for c in codes) else PermanentError)(
            error
        ) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data refused, auth …
        error = f"smtp_{exc.smtp_code}"
        raise (TransientError if 400 <= exc.smtp_code < 500 else PermanentError)(error) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timed out
        raise TransientError(f"smtp:{type(exc).__name__}") from None
    return key
