"""sendnotifications as real processes: two at once double nothing; kill -9 mid-batch loses nothing and,
with a provider that honours the idempotency key, sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection

from backend.monitoring.actions.alerts import raise_alert
from notifications.models import Delivery
from tests.support.gateway import test_database_url as database_url
from tests.support.processes import ROOT, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def sms_only(settings, sms_gateway, subject):
    settings.SMS_PROVIDER, settings.SMS_URL, settings.SMS_TOKEN = "json", sms_gateway.url, sms_gateway.token
    settings.EMAIL_HOST = ""
    return sms_gateway


def queue_alerts(subject, count: int) -> list[int]:
    person, case = subject
    return [
        raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject=f"zone:{n}")[0].pk
        for n in range(count)
    ]


def start_sender(tmp_path, gateway, name: str, **extra: str) -> tuple[subprocess.Popen, object]:
    connection.close()
    env = {
        **os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "backend.settings",
        "ANBANG_SMS_PROVIDER": "json", "ANBANG_SMS_URL": gateway.url, "ANBANG_SMS_TOKEN": gateway.token,
        "ANBANG_NOTIFY_POLL_MS": "50", "ANBANG_NOTIFY_RETRY_BASE_MS": "50", "ANBANG_NOTIFY_LEASE_S": "2", **extra,
    }  # fmt: skip
    log = tmp_path / f"{name}.log"
    with log.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "manage.py", "sendnotifications"], cwd=ROOT, env=env,
                                stdout=handle, stderr=subprocess.STDOUT)  # fmt: skip
    return proc, log


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def all_sent(alerts: list[int]) -> bool:
    return not Delivery.objects.filter(alert_id__in=alerts).exclude(state="sent").exists()


def test_two_senders_at_once_deliver_each_message_once(tmp_path, sms_only, subject):
    alerts = queue_alerts(subject, 150)
    sms_only.delay_s = (
        0.1  # a provider's latency, so that neither sender can finish alone before the other starts
    )
    senders = [start_sender(tmp_path, sms_only, f"sender{n}", ANBANG_NOTIFY_THREADS="4") for n in (1, 2)]
    try:
        wait_for(lambda: all_sent(alerts), timeout=120, what="all deliveries sent", log=senders[0][1])
    finally:
        for proc, _ in senders:
            stop(proc)
    assert len(sms_only.sent) == 150
    assert set(sms_only.seen.values()) == {1}  # no key reached the provider twice: claims never overlap
    workers = set(Delivery.objects.filter(alert_id__in=alerts).values_list("attempt_log__sender", flat=True))
    assert len(workers) == 2  # both senders did part of the work
    assert "已停止" in senders[0][1].read_text()  # SIGTERM is a clean stop


def test_kill_9_mid_batch_then_restart_completes_every_delivery_and_the_provider_sends_each_once(
    tmp_path, sms_only, subject
):
    alerts = queue_alerts(subject, 40)
    sms_only.mode = "hold"  # accept (and send) the message, then keep the sender waiting for the answer
    first, log = start_sender(tmp_path, sms_only, "first", ANBANG_NOTIFY_THREADS="4")
    try:
        wait_for(sms_only.holding.is_set, timeout=60, what="a send in flight", log=log)
        time.sleep(0.3)  # let the other threads reach the provider too
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    accepted_before_kill = set(sms_only.sent)
    assert accepted_before_kill and not all_sent(alerts)
    sms_only.mode = "ok"
    sms_only.hold.set()
    second, log = start_sender(tmp_path, sms_only, "second")
    try:
        wait_for(lambda: all_sent(alerts), timeout=90, what="all deliveries after restart", log=log)
    finally:
        stop(second)
    assert len(sms_only.sent) == 40  # every message sent, each once
    repeated = {key for key, n in sms_only.seen.items() if n > 1}
    assert repeated and repeated <= accepted_before_kill  # the in-flight ones came again, same key
    taken_back = Delivery.objects.filter(alert_id__in=alerts, attempt_log__outcome="abandoned").distinct()
    assert {d.idempotency_key for d in taken_back} >= repeated
