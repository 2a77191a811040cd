"""Alert committed → first delivery attempt, with `manage.py sendnotifications` as `up` runs it.

Run: .venv/bin/python bench/notifications.py [--rate 20] [--seconds 60] [--burst 500]

A fresh SQLite database with the demo county; SMS through a JSON SMS gateway on loopback (100 ms per
answer, as a provider takes), e-mail through aiosmtpd, webhooks to a receiver that checks the HMAC
signature (50 ms per answer); every demo officer reachable on all three.  One sender process (16 threads per channel,
500 ms poll — the defaults).  Alerts are raised through the one ``raise_alert`` (critical: inbox, SMS,
e-mail and webhook for the owner) from this process, which notes the moment each commit returned.
Phase 1 paces --rate alerts/s for --seconds; phase 2 commits --burst alerts at once.  Printed per phase:
commit → first attempt of the alert's first delivery and of every delivery (p50/p95/p99/max), time to
drain, and duplicates seen by the providers (must be 0).  Target (docs/benchmarks.md, "Targets"): p99 ≤ 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import environment, free_port  # noqa: E402
from tests.support.providers import JsonSmsGateway, Mailbox, WebhookReceiver  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def summary(label: str, values: list[float]) -> str:
    return (f"  {label:<34} n={len(values):>6,}  p50 {percentile(values, .5):6.2f} s  p95 {percentile(values, .95):6.2f} s"
            f"  p99 {percentile(values, .99):6.2f} s  max {max(values):6.2f} s")  # fmt: skip


def raise_many(count: int, rate: float | None, start: int) -> dict[int, dt.datetime]:
    from django.utils import timezone

    from backend.monitoring.actions.alerts import raise_alert
    from backend.people.models import Case

    cases = list(Case.objects.filter(officer__isnull=False).select_related("person")[:50])
    committed: dict[int, dt.datetime] = {}
    began = time.perf_counter()
    for n in range(count):
        if rate:
            delay = began + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        case = cases[n % len(cases)]
        alert, _ = raise_alert(kind="zone_exit", severity="critical", person=case.person, case=case,
                               subject=f"bench:{start + n}")  # fmt: skip
        committed[alert.pk] = timezone.now()
    return committed


def wait_drained(alerts: dict[int, dt.datetime], timeout: float) -> float:
    from notifications.models import Delivery

    began = time.perf_counter()
    while Delivery.objects.filter(alert_id__in=list(alerts), state__in=["due", "sending"]).exists():
        if time.perf_counter() - began > timeout:
            raise SystemExit("deliveries did not drain in time")
        time.sleep(0.2)
    return time.perf_counter() - began


def latencies(alerts: dict[int, dt.datetime]) -> tuple[list[float], dict[str, list[float]], dict[str, int]]:
    from django.db.models import Count, Min

    from notifications.models import Delivery, DeliveryAttempt

    per_delivery: dict[int, dt.datetime] = dict(
        DeliveryAttempt.objects.filter(delivery__alert_id__in=list(alerts), number=1)
        .values_list("delivery_id").annotate(first=Min("started_at"))
    )  # fmt: skip
    rows = Delivery.objects.filter(alert_id__in=list(alerts)).values_list("pk", "alert_id", "channel")
    alert_of = {pk: alert for pk, alert, _ in rows}
    every: dict[str, list[float]] = {"every": []}
    for pk, alert, channel in rows:
        if pk in per_delivery:
            seconds = (per_delivery[pk] - alerts[alert]).total_seconds()
            every["every"].append(seconds)
            every.setdefault(channel, []).append(seconds)
    first: dict[int, float] = {}
    for delivery, started in per_delivery.items():
        a = alert_of[delivery]
        first[a] = min(first.get(a, 1e9), (started - alerts[a]).total_seconds())
    states = dict(
        Delivery.objects.filter(alert_id__in=list(alerts)).values_list("state").annotate(n=Count("pk"))
    )
    return list(first.values()), every, states


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0, help="alerts per second in the paced phase")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=500)
    args = parser.parse_args()
    sms, hook = JsonSmsGateway().start(), WebhookReceiver().start()
    sms.delay_s, hook.delay_s = 0.1, 0.05
    mailbox = Mailbox().start(free_port())
    data = tempfile.mkdtemp(prefix="anbang-bench-notify-")
    env = environment(data) | {
        "ANBANG_SMS_PROVIDER": "json", "ANBANG_SMS_URL": sms.url, "ANBANG_SMS_TOKEN": sms.token,
        "ANBANG_EMAIL_HOST": "127.0.0.1", "ANBANG_EMAIL_PORT": str(mailbox.controller.port),
    }  # fmt: skip
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from backend.core.models import User
    from notifications.actions import set_contact_point

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    for user in User.objects.filter(username__startswith="demo_"):
        hook.secrets.add(set_contact_point(by=user, user=user, channel="webhook", address=hook.url)[1])
    connection.close()
    log = Path(data) / "sender.log"
    with log.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "manage.py", "sendnotifications"], cwd=ROOT, env=env,
                                stdout=handle, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        while "通知发送进程已启动" not in log.read_text():
            time.sleep(0.1)
        print(
            f"SQLite {data}/anbang.sqlite3; one sender (16 threads per channel, 500 ms poll); SMS 100 ms, webhook 50 ms per answer"
        )
        phases = [
            (
                f"paced: {args.rate:g} alerts/s for {args.seconds:g} s",
                int(args.rate * args.seconds),
                args.rate,
            ),
            (f"burst: {args.burst:,} alerts committed at once", args.burst, None),
        ]
        worst, start = 0.0, 0
        for label, count, rate in phases:
            began = time.perf_counter()
            alerts = raise_many(count, rate, start)
            raised = time.perf_counter() - began
            drained = wait_drained(alerts, timeout=600)
            first, every, states = latencies(alerts)
            print(
                f"\n{label}: raised in {raised:.1f} s, outbox drained {drained:.1f} s after the last commit"
            )
            print(summary("commit → alert's first attempt", first))
            print(summary("commit → each delivery's first attempt", every.pop("every")))
            for channel in ("inbox", "sms", "email", "webhook"):
                print(summary(f"  … {channel}", every[channel]))
            print(f"  deliveries by state: {dict(sorted(states.items()))}")
            strict = percentile([s for values in every.values() for s in values], 0.99)
            worst, start = max(worst, percentile(first, 0.99)), start + count
            print(f"  p99 per alert {percentile(first, 0.99):.2f} s, per delivery {strict:.2f} s (target ≤ 5 s): "
                  f"{'met' if strict <= 5 else 'per alert only' if percentile(first, 0.99) <= 5 else 'NOT MET'}")  # fmt: skip
        print(f"\nproviders: SMS {len(sms.sent):,} sent, {sum(n - 1 for n in sms.seen.values())} repeated keys; "
              f"webhook {len(hook.processed):,} processed, refused {dict(hook.refused)}; e-mail {len(mailbox.messages):,}")  # fmt: skip
        print(
            f"worst p99 commit → first attempt: {worst:.2f} s (target ≤ 5 s): {'met' if worst <= 5 else 'NOT MET'}"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        sms.stop(), hook.stop(), mailbox.stop()


if __name__ == "__main__":
    main()
