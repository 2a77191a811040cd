"""runscheduler: deadlines live in rows, so downtime catches up, crashes retry, two schedulers double nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.supervision import scheduler as jobs
from backend.supervision.management.commands.runscheduler import JOB_DEFAULTS, Command, build_scheduler
from backend.supervision.models import DueItem, DueKind, DueState
from backend.supervision.sweep import LEASE, claim, sweep
from tests.support.gateway import test_database_url as database_url
from tests.support.processes import ROOT, wait_for

pytestmark = pytest.mark.django_db


def orphan_reviews(tree, count: int, *, start: dt.datetime, spread: dt.timedelta, prefix: str = "t") -> None:
    """Category reviews of no case: their real handler finishes each as not needed, a batch at once."""
    step = spread / max(count, 1)
    DueItem.objects.bulk_create(
        DueItem(
            kind=DueKind.CATEGORY_REVIEW,
            subject=f"{prefix}:{n}",
            jurisdiction=tree.township_a1,
            due_at=start + n * step,
        )
        for n in range(count)
    )


def test_items_that_came_due_while_the_scheduler_was_down_are_handled_once_on_restart(tree):
    now = timezone.now()
    orphan_reviews(tree, 500, start=now - dt.timedelta(hours=2), spread=dt.timedelta(hours=2))
    orphan_reviews(
        tree, 100, start=now + dt.timedelta(minutes=1), spread=dt.timedelta(hours=1), prefix="later"
    )
    assert Command().handle_one(now)["handled"] == 500
    assert Command().handle_one(now)["handled"] == 0
    assert DueItem.objects.filter(state=DueState.DONE).count() == 500
    assert DueItem.objects.filter(state=DueState.PENDING, subject__startswith="later:").count() == 100


def test_items_claimed_by_a_scheduler_that_died_are_taken_back_after_the_lease(tree):
    now = timezone.now()
    orphan_reviews(tree, 50, start=now - dt.timedelta(minutes=5), spread=dt.timedelta(minutes=1))
    dead = claim(50, now)  # claimed, never finished: the process was killed
    assert len(dead) == 50 and sweep(now)["category_review"] == 0  # still leased
    assert sweep(now + LEASE + dt.timedelta(seconds=1))["category_review"] == 50
    assert not DueItem.objects.exclude(state=DueState.DONE).exists()


def test_a_handler_that_fails_leaves_its_items_for_a_retry_and_the_others_go_on(tree, monkeypatch):
    from backend.supervision import due

    now = timezone.now()
    orphan_reviews(tree, 10, start=now - dt.timedelta(minutes=1), spread=dt.timedelta(seconds=10))

    def broken(items, when):
        raise RuntimeError("bug")

    monkeypatch.setitem(due.HANDLERS, DueKind.CATEGORY_REVIEW, broken)
    assert sweep(now) == {}
    assert DueItem.objects.filter(state=DueState.CLAIMED).count() == 10
    monkeypatch.undo()
    assert sweep(now + LEASE + dt.timedelta(seconds=1))["category_review"] == 10


def test_every_due_kind_has_a_handler_and_none_is_left_for_a_benchmark():
    from backend.supervision.due import HANDLERS

    assert set(HANDLERS) == set(DueKind.values)
    assert "bench" not in DueKind.values


def test_items_handled_by_the_real_handler_are_finished_with_its_outcome(tree):
    now = timezone.now()
    orphan_reviews(tree, 20, start=now - dt.timedelta(minutes=5), spread=dt.timedelta(minutes=1))
    assert sweep(now)["category_review"] == 20
    assert set(DueItem.objects.values_list("state", "outcome")) == {(DueState.DONE, "not_needed")}


def test_every_job_coalesces_missed_runs_and_runs_however_late():
    assert JOB_DEFAULTS == {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
    scheduler = build_scheduler()
    assert {job.id for job in scheduler.get_jobs()} == {"sweep", "detectors", "planners", "nightly"}


def test_the_nightly_job_writes_the_audit_head_and_purges_old_handled_items(tree, settings, tmp_path):
    from backend.core.audit import record_audit

    settings.AUDIT_HEADS_FILE = (
        tmp_path / "audit-heads.log"
    )  # not the session's data dir: verify_audit reads it

    record_audit(actor=None, actor_label="test", action="db.backup")
    now = timezone.now()
    orphan_reviews(tree, 3, start=now - dt.timedelta(days=500), spread=dt.timedelta(days=1))
    sweep(now)
    DueItem.objects.update(done_at=now - dt.timedelta(days=401))
    jobs.job_nightly(now)
    head = AuditEvent.objects.order_by("-seq").first()
    assert f"{head.seq}:{head.hash}" in settings.AUDIT_HEADS_FILE.read_text()
    assert not DueItem.objects.exists()


def run_once(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "runscheduler", "--once", "--batch", "200"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip


def scheduler_env() -> dict:
    return {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "backend.settings"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_two_schedulers_at_once_handle_each_item_exactly_once(tree):
    orphan_reviews(tree, 50_000, start=timezone.now() - dt.timedelta(hours=2), spread=dt.timedelta(hours=2))
    connection.close()
    procs = [run_once(scheduler_env()) for _ in range(2)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    handled = [int(out.rsplit("处理到期事项 ", 1)[1].split()[0]) for out in outputs]
    assert sum(handled) == 50_000, outputs  # an item handled twice would count twice
    assert all(n > 0 for n in handled), handled  # both took part
    assert DueItem.objects.filter(state=DueState.DONE).count() == 50_000


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_runscheduler_sweeps_on_start_and_stops_cleanly_on_sigterm(tree, tmp_path):
    orphan_reviews(
        tree, 200, start=timezone.now() - dt.timedelta(minutes=30), spread=dt.timedelta(minutes=30)
    )
    connection.close()
    log = tmp_path / "scheduler.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "manage.py", "runscheduler"], cwd=ROOT, env=scheduler_env(),
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_for(lambda: DueItem.objects.filter(state=DueState.DONE).count() == 200, timeout=60,
                 what="the first sweep", log=log)  # fmt: skip
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "调度进程已停止" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_on_postgresql_one_scheduler_leads_and_another_takes_over_when_it_goes(tree, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the leader lock is PostgreSQL's; SQLite schedulers share the work instead")
    connection.close()
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    procs = []
    for log in logs:
        with log.open("w") as out:
            procs.append(subprocess.Popen([sys.executable, "manage.py", "runscheduler"], cwd=ROOT,
                                          env=scheduler_env(), stdout=out, stderr=subprocess.STDOUT))  # fmt: skip
        wait_for(lambda log=log: "调度进程已启动" in log.read_text() or "等待接替" in log.read_text(),
                 timeout=60, what="a scheduler up", log=log)  # fmt: skip
    try:
        assert "调度进程已启动" in logs[0].read_text() and "等待接替" in logs[1].read_text()
        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait(timeout=10)
        wait_for(
            lambda: "调度进程已启动" in logs[1].read_text(), timeout=60, what="the take-over", log=logs[1]
        )
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
