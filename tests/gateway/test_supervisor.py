"""The supervisor behind ``manage.py up`` and the gateway's workers, over real short-lived processes: a
child that keeps dying is restarted after doubling, capped delays; one that ran for the stable period
starts its count afresh; stopping ends every child."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time

from gps_gateway.supervisor import ENGLISH, Backoff, Supervisor

logger = logging.getLogger("anbang.test_supervisor")


def python(code: str):
    return lambda: subprocess.Popen([sys.executable, "-c", code])


def run_for(supervisor: Supervisor, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    supervisor.run(lambda: time.monotonic() > deadline, tick=0.01)


def deaths(caplog) -> list[tuple[str, float, int]]:
    pattern = re.compile(r"\((exit code \d+|signal \d+)\); restarting in ([\d.]+) s \(death (\d+) in a row\)")
    found = [pattern.search(r.getMessage()) for r in caplog.records if r.name == logger.name]
    return [(m[1], float(m[2]), int(m[3])) for m in found if m]


def test_a_child_that_keeps_dying_is_restarted_after_doubling_delays_up_to_the_cap(caplog):
    caplog.set_level(logging.INFO, logger=logger.name)
    supervisor = Supervisor(
        {"crasher": python("raise SystemExit(3)")},
        backoff=Backoff(base_s=0.1, max_s=0.4, stable_s=30),
        logger=logger,
        messages=ENGLISH,
    )
    supervisor.start_all()
    run_for(supervisor, 3.5)
    supervisor.stop(timeout=5)
    seen = deaths(caplog)
    assert len(seen) >= 4, caplog.text
    assert [delay for _, delay, _ in seen[:5]] == [0.1, 0.2, 0.4, 0.4, 0.4][: len(seen[:5])]
    assert [n for _, _, n in seen] == list(range(1, len(seen) + 1))
    assert all(how == "exit code 3" for how, _, _ in seen)
    assert sum("crasher restarted (pid" in r.getMessage() for r in caplog.records) >= len(seen) - 1


def test_a_child_that_ran_for_the_stable_period_starts_its_count_afresh(caplog):
    caplog.set_level(logging.INFO, logger=logger.name)
    supervisor = Supervisor(
        {"steady": python("import time; time.sleep(0.3); raise SystemExit(1)")},
        backoff=Backoff(base_s=0.05, max_s=10, stable_s=0.2),
        logger=logger,
        messages=ENGLISH,
    )
    supervisor.start_all()
    run_for(supervisor, 1.8)
    supervisor.stop(timeout=5)
    seen = deaths(caplog)
    assert len(seen) >= 2 and all(n == 1 for _, _, n in seen), caplog.text


def test_stopping_ends_every_child_and_a_killed_one_is_reported_by_its_signal(caplog):
    caplog.set_level(logging.INFO, logger=logger.name)
    supervisor = Supervisor(
        {"a": python("import time; time.sleep(60)"), "b": python("import time; time.sleep(60)")},
        backoff=Backoff(base_s=0.05, max_s=1, stable_s=30),
        logger=logger,
        messages=ENGLISH,
    )
    supervisor.start_all()
    first = supervisor.pids()
    supervisor.children["a"].process.kill()
    run_for(supervisor, 0.5)
    assert supervisor.pids()["b"] == first["b"] and supervisor.pids()["a"] not in (None, first["a"])
    assert deaths(caplog)[0][0] == "signal 9"
    processes = [c.process for c in supervisor.children.values()]
    supervisor.stop(timeout=5)
    assert all(p.poll() is not None for p in processes)
