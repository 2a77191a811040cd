"""``manage.py sendnotifications``: the delivery loop (started by ``manage.py up``).

Keeps up to ANBANG_NOTIFY_THREADS sends in flight per channel — a pool each for SMS, e-mail and webhooks,
so a provider that hangs holds only its own channel's threads — writes inbox rows itself, and records
every outcome from the loop's own thread in one transaction per turn (one writer per sender, which
SQLite's single write lock rewards); polls
every ANBANG_NOTIFY_POLL_MS when idle; plans the daily digest when its hour comes; prints a stats line
every minute.  SIGTERM finishes the sends in flight and exits; anything not finished is taken back by
the lease.  Several senders (on several hosts, with PostgreSQL) may run at once.
"""

from __future__ import annotations

import logging
import signal
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from notifications import sender
from notifications.digest import digest_day_due, plan_digests
from notifications.models import ADDRESSED_CHANNELS, Channel

logger = logging.getLogger("anbang.notifications")
STATS_EVERY_S = 60.0
DIGEST_CHECK_EVERY_S = 60.0


def _keep_connection_healthy() -> None:
    """Reopen this thread's connection only after an error.  ``close_old_connections`` would also close it
    whenever CONN_MAX_AGE is 0 (SQLite's default here) — a reconnect per send, a large part of the CPU."""
    if connection.errors_occurred:
        connection.close_if_unusable_or_obsolete()


def _attempt_in_thread(delivery) -> tuple:
    _keep_connection_healthy()  # the pool's threads, and their connections, live as long as the loop
    return delivery, sender.attempt(delivery)  # reads only; the loop's thread records the outcome


class Command(BaseCommand):
    help = "告警通知发送循环：认领待发送投递、发送、记录结果、失败重试"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只发送一批后退出（用于排查）")

    def handle_one(self) -> int:
        """Claim and send one batch in this thread; returns how many were claimed."""
        return sender.handle_batch()

    def handle(self, *args, **options):
        if options["once"]:
            count = self.handle_one()
            self.stdout.write(f"已处理 {count} 条投递")
            return
        self.stopping = False

        def stop(signum, frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        threads, poll_s = settings.NOTIFY_THREADS, settings.NOTIFY_POLL_MS / 1000
        in_flight: dict[str, set[Future]] = {channel: set() for channel in ADDRESSED_CHANNELS}
        totals: Counter[str] = Counter()
        next_stats = time.monotonic() + STATS_EVERY_S
        next_digest = time.monotonic()
        logger.info("通知发送进程已启动（%s，每渠道并发 %d）", sender.SENDER_NAME, threads)
        pools = {
            c: ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"send-{c}") for c in in_flight
        }
        try:
            while not self.stopping:
                _keep_connection_healthy()
                limits = {
                    c: min(threads - len(running), settings.NOTIFY_BATCH) for c, running in in_flight.items()
                }
                limits = {c: n for c, n in limits.items() if n > 0} | {Channel.INBOX: settings.NOTIFY_BATCH}
                claimed = sender.claim_each(limits)
                local = [d for d in claimed if d.channel == Channel.INBOX]  # rows to write: no thread needed
                for d in claimed:
                    if d.channel != Channel.INBOX:
                        in_flight[d.channel].add(pools[d.channel].submit(_attempt_in_thread, d))
                per_channel = Counter(d.channel for d in claimed)
                more = any(per_channel[c] == n for c, n in limits.items())
                busy = set().union(*in_flight.values())
                done: set[Future] = set()
                if busy:  # back as soon as a send finishes, or after a poll interval
                    done, _ = wait(busy, timeout=0 if more or local else poll_s, return_when=FIRST_COMPLETED)
                    for running in in_flight.values():
                        running -= done
                results = [f.result() for f in done]
                if results or local:
                    with transaction.atomic():  # one writer, one transaction per turn of the loop
                        results += [(d, sender.attempt(d)) for d in local]
                        sender.record(results)
                totals.update(outcome.state for _, outcome in results)
                if not busy and not local:
                    time.sleep(poll_s)
                if time.monotonic() >= next_digest:
                    next_digest = time.monotonic() + DIGEST_CHECK_EVERY_S
                    if (day := digest_day_due(timezone.now())) is not None and (planned := plan_digests(day)):
                        logger.info("已生成 %s 的每日汇总 %d 封", day, planned)
                if time.monotonic() >= next_stats:
                    next_stats = time.monotonic() + STATS_EVERY_S
                    logger.info("通知统计：已发送 %d，待重试 %d，失败 %d，跳过 %d，进行中 %d",
                                totals["sent"], totals["due"], totals["failed"], totals["skipped"],
                                sum(map(len, in_flight.values())))  # fmt: skip
            results = [f.result() for f in wait(set().union(*in_flight.values())).done]
            sender.record(results)
            totals.update(outcome.state for _, outcome in results)
        finally:
            for pool in pools.values():
                pool.shutdown(wait=True, cancel_futures=True)
        logger.info("通知发送进程已停止")
