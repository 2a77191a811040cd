"""``manage.py runscheduler``: an APScheduler 3 BlockingScheduler with a few coarse jobs (started by ``up``).

Misfire and coalesce are set on purpose: every job works through database rows, so a run that was missed
(the process was stopped, the machine slept) is worth exactly one late run — ``coalesce=True`` folds any
number of missed runs into one, ``misfire_grace_time=None`` runs it however late, ``max_instances=1``
never overlaps a job with itself.  On PostgreSQL one scheduler leads: it holds a session advisory lock on
its own connection; the others wait and take over when it goes.  On SQLite (one machine) there is no
leader: two schedulers share the work safely, since every item is claimed by a conditional UPDATE.
"""

from __future__ import annotations

import logging
import signal
import time

from apscheduler.schedulers.blocking import BlockingScheduler
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from backend.supervision import scheduler as jobs

logger = logging.getLogger("anbang.scheduler")
LEADER_LOCK = 0x616E62616E6701  # "anbang" + 1: the scheduler leader's advisory lock
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


class Leadership:
    """PostgreSQL: a session advisory lock on a connection of its own.  SQLite: always leader."""

    def __init__(self):
        self.conn = None

    def acquire(self) -> bool:
        if connection.vendor != "postgresql":
            return True
        import psycopg

        if self.conn is None or self.conn.closed:
            db = connection.settings_dict
            self.conn = psycopg.connect(host=db["HOST"], port=db["PORT"] or None, user=db["USER"],
                                        password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=True)  # fmt: skip
        return bool(self.conn.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK]).fetchone()[0])

    def still_held(self) -> bool:
        if connection.vendor != "postgresql":
            return True
        try:
            self.conn.execute("SELECT 1")
            return True
        except Exception:  # the lock went with the connection
            return False


def build_scheduler() -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="Asia/Shanghai", job_defaults=JOB_DEFAULTS)
    now = timezone.now()
    scheduler.add_job(jobs.job_sweep, "interval", seconds=30, id="sweep", next_run_time=now)
    scheduler.add_job(jobs.job_detectors, "interval", seconds=60, id="detectors", next_run_time=now)
    scheduler.add_job(jobs.job_planners, "interval", hours=1, id="planners", next_run_time=now)
    scheduler.add_job(jobs.job_nightly, "cron", hour=2, minute=30, id="nightly")
    return scheduler


class Command(BaseCommand):
    help = "定时任务：到期事项、定时检测（信号中断、疑似脱管、告警升级）、每小时规划、夜间审计链头与清理"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="规划、处理到期事项、运行检测各一次后退出")
        parser.add_argument("--batch", type=int, default=5000, help="每次认领的到期事项条数（默认 5000）")

    def handle_one(self, now=None, *, batch: int = 5000) -> dict:
        """One pass of every periodic job but the nightly one (tests and --once)."""
        now = now or timezone.now()
        planned = jobs.job_planners(now)
        return {"planned": planned, "handled": jobs.job_sweep(now, batch=batch), **jobs.job_detectors(now)}

    def handle(self, *args, **options):
        if options["once"]:
            result = self.handle_one(batch=options["batch"])
            self.stdout.write(f"规划 {result['planned']}，处理到期事项 {result['handled']}")
            return
        stopping = False
        scheduler: BlockingScheduler | None = None

        def stop(signum, frame):
            nonlocal stopping
            stopping = True
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        leadership = Leadership()
        while not stopping and not leadership.acquire():
            logger.info("另一调度进程正在运行（PostgreSQL 咨询锁），等待接替")
            for _ in range(15):
                if stopping:
                    return
                time.sleep(1)
        if stopping:
            return
        scheduler = build_scheduler()
        scheduler.add_job(
            self._check_leadership, "interval", seconds=30, args=[leadership, scheduler], id="leader"
        )
        logger.info("调度进程已启动")
        scheduler.start()  # blocks until shutdown
        if self.lost_lead:
            raise CommandError("调度主锁已丢失，已退出以便由其他调度进程接替")
        logger.info("调度进程已停止")

    lost_lead = False

    def _check_leadership(self, leadership: Leadership, scheduler: BlockingScheduler) -> None:
        if not leadership.still_held():
            logger.error("调度主锁已丢失")
            self.lost_lead = True
            scheduler.shutdown(wait=False)
