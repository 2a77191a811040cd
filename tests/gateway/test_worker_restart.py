"""The gateway's parent restarts a worker that died (``kill -9``): the other worker keeps its connections
and pid, the new one listens on the same ports and stores fixes, and the gateway as a whole stays up."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, GatewayStats
from tests.support.gateway import Jt808Terminal, running_gateway
from tests.support.processes import children_of, listening_pids, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CODE = "0123456789abcdef"


def workers_of(gateway) -> dict[int, int]:
    """worker index → pid."""
    out = {}
    for pid, cmdline in children_of(gateway.process.pid).items():
        if "--worker-index" in cmdline:
            out[int(cmdline.split("--worker-index")[1].split()[0])] = pid
    return out


def test_a_worker_killed_with_sigkill_is_restarted_and_serves_while_the_other_kept_running(tmp_path, tree):
    Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier="13800138001",
        auth_code_digest=hashlib.sha256(CODE.encode()).hexdigest(),
    )  # fmt: skip
    env = {"ANBANG_RESTART_BASE_MS": "100", "ANBANG_RESTART_MAX_MS": "400"}
    with running_gateway(tmp_path, workers=2, **env) as gateway:
        port = gateway.ports["jt808"]
        before = workers_of(gateway)
        assert sorted(before) == [0, 1] and listening_pids(port) == set(before.values())
        survivor = Jt808Terminal(port)  # a device on some worker; if on the survivor it stays connected
        assert survivor.authenticate(CODE) == 0
        killed_at = timezone.now()
        os.kill(before[1], signal.SIGKILL)
        wait_for(
            lambda: workers_of(gateway).get(1) not in (None, before[1]),
            timeout=20,
            what="worker 1",
            log=gateway.log,
        )
        after = workers_of(gateway)
        assert after[0] == before[0] and gateway.process.poll() is None
        wait_for(
            lambda: listening_pids(port) == set(after.values()), timeout=30, what="ports", log=gateway.log
        )
        assert "worker 1 (pid" in gateway.output() and "died (signal 9)" in gateway.output()
        results = []
        newest = timezone.now().replace(microsecond=0)
        for i in range(16):  # each lands on either worker; all 16 on the old one has odds 2^-16
            terminal = Jt808Terminal(port)
            results.append(terminal.authenticate(CODE))
            results.append(terminal.location(newest - dt.timedelta(seconds=16 - i), 30.0, 120.0))
            terminal.close()
        assert results == [0] * 32
        wait_for(
            lambda: GatewayStats.objects.filter(
                node__endswith="#1", started_at__gt=killed_at, counters__stored__gt=0
            ).exists(),
            timeout=20, what="the new worker's stored fixes", log=gateway.log,
        )  # fmt: skip
        survivor.close()
