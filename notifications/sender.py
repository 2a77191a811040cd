"""The delivery loop's work (sendnotifications): claim due deliveries, send, record, retry or give up.

Claiming (conditional UPDATEs instead of locks: docs/architecture.md, "Concurrency notes"): one UPDATE
moves a batch of due rows — or rows whose sender's lease ran out — to ``sending`` under this claim's token;
only rows still due at that instant change, so two senders never hold the same row.  A sender killed
mid-send leaves its rows in ``sending``; when the lease runs out another sender takes them back, marks the
dead attempt abandoned and sends again under the same idempotency key.  Results are written only while the
lease is still ours.

Retries: a transient failure waits base · 2^(n−1), capped, with jitter in [½, 1] of that (so a provider
that comes back is not hit by every sender at once), up to ANBANG_NOTIFY_MAX_ATTEMPTS.  A permanent
failure or the last failed try marks the delivery failed and raises a "could not notify" alert
(告警未能送达) one jurisdiction level above the recipient who could not be reached.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.monitoring.alerting import raise_alert
from backend.monitoring.models import Alert, AlertKind, AlertState, Severity
from notifications.channels import transport_for
from notifications.channels.base import Message, PermanentError, SendError
from notifications.messages import render_alert, render_digest, render_notice, render_reminder
from notifications.models import (
    ADDRESSED_CHANNELS,
    Channel,
    ContactPoint,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
)
from notifications.notices import NOTICE
from notifications.routing import target_of

logger = logging.getLogger("anbang.notifications")
SENDER_NAME = f"{socket.gethostname()[:16]}:{os.getpid()}"


@dataclass
class Outcome:
    state: str  # DeliveryState after this attempt
    error: str = ""
    retryable: bool = False
    provider_id: str = ""


def retry_delay(attempt: int, rng: random.Random | None = None) -> dt.timedelta:
    """Exponential backoff with jitter: base · 2^(attempt−1), capped, times a factor in [0.5, 1]."""
    rng = rng or random
    ceiling = min(settings.NOTIFY_RETRY_MAX_MS, settings.NOTIFY_RETRY_BASE_MS * 2 ** min(attempt - 1, 30))
    return dt.timedelta(milliseconds=ceiling * rng.uniform(0.5, 1.0))


def claim(limit: int, now: dt.datetime | None = None, *, channel: str | None = None) -> list[Delivery]:
    """Take up to ``limit`` deliveries that are due (or abandoned by a dead sender) for this process,
    oldest due first; ``channel`` restricts them to one channel."""
    return claim_each({channel: limit}, now)


def claim_each(limits: dict[str | None, int], now: dt.datetime | None = None) -> list[Delivery]:
    """``claim`` for several channels at once — up to ``limits[channel]`` each — in one transaction."""
    now = now or timezone.now()
    due = Q(state=DeliveryState.DUE, next_attempt_at__lte=now)
    stale = Q(state=DeliveryState.SENDING, lease_until__lt=now)
    candidates: list[int] = []
    for channel, limit in limits.items():
        only = Q(channel=channel) if channel is not None else Q()
        found = list(
            Delivery.objects.filter(due & only)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if len(found) < limit:
            found += Delivery.objects.filter(stale & only).values_list("pk", flat=True)[: limit - len(found)]
        candidates += found
    if not candidates:
        return []
    token = uuid.uuid4().hex[:16]
    with transaction.atomic():
        taken = Delivery.objects.filter(due | stale, pk__in=candidates).update(
            state=DeliveryState.SENDING, claimed_by=token, attempts=F("attempts") + 1,
            lease_until=now + dt.timedelta(seconds=settings.NOTIFY_LEASE_S),
        )  # fmt: skip
        if not taken:
            return []
        claimed = list(
            Delivery.objects.filter(claimed_by=token, state=DeliveryState.SENDING)
            .select_related("alert", "alert__case", "alert__person", "recipient")
            .order_by("pk")
        )
        # Attempts a dead sender left open are closed as abandoned before ours are numbered after them.
        DeliveryAttempt.objects.filter(delivery__in=claimed, finished_at__isnull=True).update(
            finished_at=now, outcome=DeliveryAttempt.Outcome.ABANDONED, error="lease_expired"
        )
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(delivery=d, number=d.attempts, started_at=now, sender=SENDER_NAME)
                for d in claimed
            ]
        )
    return claimed


def _contact(delivery: Delivery) -> ContactPoint | None:
    if delivery.channel not in ADDRESSED_CHANNELS:
        return None
    return ContactPoint.objects.filter(
        user_id=delivery.recipient_id, channel=delivery.channel, enabled=True
    ).first()


def _render(delivery: Delivery) -> Message:
    if delivery.alert_id is not None:
        return render_alert(delivery)
    if delivery.due_item_id is not None:
        return render_reminder(delivery)
    if delivery.details.get("kind") == NOTICE:
        return render_notice(delivery)
    alerts = list(
        Alert.objects.filter(pk__in=delivery.details.get("alerts", []))
        .select_related("case")
        .order_by("first_seen_at", "pk")
    )
    return render_digest(delivery, alerts)


def attempt(delivery: Delivery) -> Outcome:
    """Try one claimed delivery and say how it went; writes nothing but the inbox row (``record`` does).

    Senders run this in worker threads and record the results from one thread, so the outbox has one
    writer per sender process however many sends are in flight.
    """
    alert = delivery.alert
    if alert is not None and delivery.channel != Channel.INBOX and alert.state != AlertState.OPEN:
        # Someone acted already: paging more people about it is noise (the inbox keeps the record).
        return Outcome(DeliveryState.SKIPPED, f"alert_{alert.state}")
    try:
        contact = _contact(delivery)
        if delivery.channel in ADDRESSED_CHANNELS and contact is None:
            raise PermanentError("no_contact_point")
        provider_id = transport_for(delivery.channel).send(delivery, _render(delivery), contact)
    except SendError as exc:
        exhausted = delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS
        if exc.retry and not exhausted:
            return Outcome(DeliveryState.DUE, exc.code, retryable=True)
        return Outcome(
            DeliveryState.FAILED, f"{exc.code} (retries_exhausted)" if exc.retry else exc.code, exc.retry
        )
    except Exception:  # a bug must not stop the loop or lose the delivery: retry later, log the type only
        logger.exception("发送异常：投递 %s（渠道 %s）", delivery.pk, delivery.channel)
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            return Outcome(DeliveryState.FAILED, "internal_error (retries_exhausted)", retryable=True)
        return Outcome(DeliveryState.DUE, "internal_error", retryable=True)
    return Outcome(DeliveryState.SENT, provider_id=provider_id)


def send(delivery: Delivery) -> Outcome:
    """Attempt one claimed delivery and record the outcome (tests and ``--once`` call this)."""
    outcome = attempt(delivery)
    record([(delivery, outcome)])
    return outcome


ATTEMPT_KIND = {
    DeliveryState.SENT: DeliveryAttempt.Outcome.SENT,
    DeliveryState.SKIPPED: DeliveryAttempt.Outcome.SENT,
    DeliveryState.DUE: DeliveryAttempt.Outcome.TRANSIENT,
}


def record(results: list[tuple[Delivery, Outcome]]) -> None:
    """Write the outcomes of several attempts in one transaction, each only while its lease is still ours."""
    now = timezone.now()
    with transaction.atomic():
        for delivery, outcome in results:
            changes: dict = {"state": outcome.state, "last_error": outcome.error, "lease_until": None}
            retry_at = now + retry_delay(delivery.attempts) if outcome.state == DeliveryState.DUE else None
            if retry_at is not None:
                changes["next_attempt_at"] = retry_at
            else:
                changes["finished_at"] = now
            if outcome.state == DeliveryState.SENT:
                changes.update(sent_at=now, provider_id=outcome.provider_id)
            held = Delivery.objects.filter(
                pk=delivery.pk, state=DeliveryState.SENDING, claimed_by=delivery.claimed_by
            ).update(**changes)
            if not held:  # our lease ran out and another sender has it now; its result will stand
                logger.warning("投递 %s 的租约已被接管，本次结果不记录", delivery.pk)
                continue
            kind = ATTEMPT_KIND.get(outcome.state) or (
                DeliveryAttempt.Outcome.TRANSIENT if outcome.retryable else DeliveryAttempt.Outcome.PERMANENT
            )
            DeliveryAttempt.objects.filter(
                delivery=delivery, number=delivery.attempts, finished_at__isnull=True
            ).update(finished_at=now, outcome=kind, error=outcome.error, retry_at=retry_at)
            if outcome.state == DeliveryState.FAILED:
                report_failure(delivery, outcome.error)


def report_failure(delivery: Delivery, error: str) -> None:
    """Raise 告警未能送达 to the level above the recipient who could not be reached (inside the caller's
    transaction), through the alert contract like any other alert.  A digest's failure is only counted:
    its alerts reached the inbox already."""
    alert = delivery.alert
    logger.warning("投递失败：投递 %s（渠道 %s，%s）", delivery.pk, delivery.channel, error)
    if alert is None:
        return
    above = target_of(alert, delivery.step).parent
    if above is None:
        logger.error("投递 %s 失败且已无上级可通知（告警 %s）", delivery.pk, alert.pk)
        return
    raise_alert(
        kind=AlertKind.NOTIFY_FAILED, severity=Severity.HIGH, person=alert.person, case=alert.case,
        device=alert.device, subject=f"alert:{alert.pk}",
        details={"alert": alert.pk, "delivery": delivery.pk, "channel": delivery.channel, "error": error,
                 "recipient": delivery.recipient_id},
        route_to=above, level=delivery.step + 1,
    )  # fmt: skip


def handle_batch(limit: int | None = None) -> int:
    """Claim, send and record one batch in this thread.  Returns how many were claimed (tests call this)."""
    batch = claim(limit or settings.NOTIFY_BATCH)
    record([(delivery, attempt(delivery)) for delivery in batch])
    return len(batch)
