"""Providers that fail: retried with growing, jittered gaps until they return; permanent failures and
exhausted retries are visible and raise 告警未能送达 to the level above."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Alert
from notifications import sender
from notifications.models import Delivery
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def send_until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "deliveries did not settle"
        sender.handle_batch()
        time.sleep(0.01)


def test_backoff_doubles_up_to_its_cap_with_jitter_between_half_and_all(settings):
    settings.NOTIFY_RETRY_BASE_MS, settings.NOTIFY_RETRY_MAX_MS = 1000, 30_000
    rng = random.Random(7)
    ceilings = [1000, 2000, 4000, 8000, 16000, 30000, 30000]
    for attempt, ceiling in enumerate(ceilings, start=1):
        delays = [sender.retry_delay(attempt, rng) / dt.timedelta(milliseconds=1) for _ in range(200)]
        assert ceiling / 2 <= min(delays) and max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not fixed


def test_a_provider_that_refuses_then_fails_then_times_out_gets_everything_after_it_returns(
    channels, sms_gateway, subject
):
    channels.NOTIFY_MAX_ATTEMPTS = 20
    port = sms_gateway.port
    person, case = subject
    sms_gateway.stop()  # connection refused
    alerts = [
        raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject=f"zone:{n}")[0]
        for n in range(5)
    ]

    def sms():
        return list(Delivery.objects.filter(alert__in=alerts, channel="sms"))

    send_until(lambda: all(d.attempts >= 2 for d in sms()))
    sms_gateway.start(port)
    sms_gateway.mode = "error"  # 500s
    send_until(lambda: sms_gateway.requests >= 5)
    sms_gateway.mode, sms_gateway.slow_s = "slow", 1.5  # slower than the 1 s client timeout
    send_until(lambda: sms_gateway.requests >= 10, timeout=40)
    sms_gateway.mode = "ok"
    send_until(lambda: all(d.state == "sent" for d in sms()), timeout=40)
    assert len(sms_gateway.sent) == 5
    errors = {a.error for d in sms() for a in d.attempt_log.all() if a.outcome == "transient"}
    assert {"http_500", "timeout"} <= errors and any(e.startswith("connect:") for e in errors)
    for delivery in sms():  # the schedule is on record: each retry after the one before
        log = list(delivery.attempt_log.all())
        assert log[-1].outcome == "sent"
        assert all(a.retry_at > a.finished_at for a in log[:-1])
        assert [a.number for a in log] == list(range(1, len(log) + 1))


def test_a_refused_mailbox_fails_at_once_and_tells_the_supervisor_a_level_up(
    channels, mailbox, subject, supervisor
):
    mailbox.refuse = "550 5.1.1 mailbox unavailable"
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    send_until(lambda: Delivery.objects.get(alert=alert, channel="email").state == "failed")
    email = Delivery.objects.get(alert=alert, channel="email")
    assert email.attempts == 1 and email.last_error == "smtp_550"
    failed = Alert.objects.get(kind="notify_failed")
    assert failed.details["alert"] == alert.pk and failed.escalation_level == 1
    assert failed.escalated_to.pk == supervisor.jurisdiction.pk
    told = set(Delivery.objects.filter(alert=failed).values_list("recipient__username", "channel"))
    assert ("supervisor_a", "sms") in told and ("supervisor_a", "inbox") in told


def test_a_mailbox_that_says_try_later_is_retried_until_the_limit_then_reported(
    channels, mailbox, subject, supervisor
):
    channels.NOTIFY_MAX_ATTEMPTS = 3
    mailbox.refuse = "451 4.3.0 try again later"
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    send_until(lambda: Delivery.objects.get(alert=alert, channel="email").state == "failed")
    email = Delivery.objects.get(alert=alert, channel="email")
    assert email.attempts == 3 and email.last_error == "smtp_451 (retries_exhausted)"
    assert [a.outcome for a in email.attempt_log.all()] == ["transient"] * 3
    assert Alert.objects.filter(kind="notify_failed", subject=f"alert:{alert.pk}").count() == 1


def test_a_second_failure_for_the_same_alert_counts_on_the_one_could_not_notify_alert(
    channels, mailbox, sms_gateway, subject, supervisor
):
    mailbox.refuse = "550 no such user"
    sms_gateway.token = "another"  # 401: permanent
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    send_until(lambda: Delivery.objects.filter(alert=alert, state="failed").count() == 2)
    (failed,) = Alert.objects.filter(kind="notify_failed")
    assert failed.occurrences == 2


def test_an_alert_acknowledged_before_its_sms_went_out_is_not_sent(channels, sms_gateway, subject, officers):
    from backend.monitoring.actions.alerts import acknowledge_alert

    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    acknowledge_alert(alert=alert, by=officers.owner)
    send_until(lambda: not Delivery.objects.filter(alert=alert, state__in=["due", "sending"]).exists())
    assert dict(Delivery.objects.filter(alert=alert).values_list("channel", "state")) == {
        "inbox": "sent", "sms": "skipped", "email": "skipped"}  # fmt: skip
    assert sms_gateway.sent == {}


def test_a_deleted_contact_point_fails_the_delivery_permanently(channels, subject, officers, tree):
    from notifications.actions import remove_contact_point

    person, case = subject
    make_user("supervisor_x", tree.county_a, "supervisor")
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    remove_contact_point(by=officers.owner, user=officers.owner, channel="sms")
    send_until(lambda: Delivery.objects.get(alert=alert, channel="sms").state == "failed")
    assert Delivery.objects.get(alert=alert, channel="sms").last_error == "no_contact_point"


def test_nothing_is_sent_twice_when_a_lease_expires_under_a_slow_send(channels, sms_gateway, subject):
    """A delivery taken back after its lease ran out carries the same key; the old result is not recorded."""
    person, case = subject
    _alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    first = next(d for d in sender.claim(10) if d.channel == "sms")
    later = first.lease_until + dt.timedelta(seconds=1)
    (again,) = [d for d in sender.claim(10, now=later) if d.channel == "sms"]
    assert again.pk == first.pk and again.attempts == 2 and again.claimed_by != first.claimed_by
    assert sender.send(again).state == "sent"
    sender.send(first)  # the first sender wakes up late: its result is ignored
    delivery = Delivery.objects.get(pk=first.pk)
    assert delivery.state == "sent" and delivery.attempts == 2
    assert [a.outcome for a in delivery.attempt_log.all()] == ["abandoned", "sent"]
    assert sms_gateway.seen[delivery.idempotency_key] == 2 and len(sms_gateway.sent) == 1
