"""``manage.py up`` as a newcomer runs it: a fresh database, real processes, real HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import urllib.error
import urllib.request

import pytest

from tests.support.processes import (
    accepts,
    children_of,
    free_port,
    free_ports,
    fresh_database,
    gateway_workers,
    manage,
    product_env,
    start_manage,
    up_children,
    wait_for,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_up_migrates_seeds_serves_and_stops_cleanly(tmp_path):
    port, *gateway_ports = free_ports(6)  # the web server's and the gateway's five, all different
    log = tmp_path / "up.log"
    with fresh_database(tmp_path) as url:
        protocols = ("osmand", "jt808", "gt06", "h02", "watch")
        gateway = {f"ANBANG_{p.upper()}_PORT": str(n) for p, n in zip(protocols, gateway_ports, strict=True)}
        env = product_env(url, tmp_path, **gateway)
        proc = start_manage("up", "--port", str(port), "--workers", "1", env=env, log=log)
        try:
            wait_for(
                lambda: get_json(f"http://127.0.0.1:{port}/api/v1/health"), timeout=60, what="health", log=log
            )
            wait_for(lambda: "gateway ready" in log.read_text(), timeout=30, what="gateway", log=log)
            wait_for(lambda: "通知发送进程已启动" in log.read_text(), timeout=30, what="sender", log=log)
            wait_for(lambda: "调度进程已启动" in log.read_text(), timeout=30, what="scheduler", log=log)
            with socket.create_connection(("127.0.0.1", int(gateway["ANBANG_OSMAND_PORT"])), timeout=5):
                pass  # the gateway is listening too
            banner = log.read_text()
            assert f"http://127.0.0.1:{port}/" in banner
            assert "demo_admin" in banner and "演示密码" in banner
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert "已停止" in log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_up_restarts_each_child_killed_with_sigkill_while_the_others_keep_serving(tmp_path):
    port, *gateway_ports = free_ports(6)
    log = tmp_path / "up.log"
    protocols = ("osmand", "jt808", "gt06", "h02", "watch")
    gateway = {f"ANBANG_{p.upper()}_PORT": str(n) for p, n in zip(protocols, gateway_ports, strict=True)}
    jt808 = int(gateway["ANBANG_JT808_PORT"])
    fast = {"ANBANG_RESTART_BASE_MS": "100", "ANBANG_RESTART_MAX_MS": "400", "ANBANG_GATEWAY_WORKERS": "2"}
    health = f"http://127.0.0.1:{port}/api/v1/health"
    # What shows that each child, once back, serves again.
    serving = {
        "web": lambda: get_json(health) is not None,
        "gateway": lambda: accepts(jt808),
        "sender": None,  # counted by its start line below
        "scheduler": None,
    }
    start_lines = {"gateway": "gateway ready", "sender": "通知发送进程已启动", "scheduler": "调度进程已启动"}
    with fresh_database(tmp_path) as url:
        env = product_env(url, tmp_path, **gateway, **fast)
        proc = start_manage("up", "--port", str(port), "--workers", "1", "--no-seed", env=env, log=log)
        try:
            wait_for(lambda: get_json(health), timeout=60, what="health", log=log)
            for line in start_lines.values():
                wait_for(lambda line=line: line in log.read_text(), timeout=30, what=line, log=log)
            for name in ("gateway", "sender", "scheduler", "web"):
                before = up_children(proc.pid)
                assert set(before) == {"web", "gateway", "sender", "scheduler"}, before
                started = {key: log.read_text().count(line) for key, line in start_lines.items()}
                os.kill(before[name], signal.SIGKILL)
                wait_for(
                    lambda name=name, before=before: up_children(proc.pid).get(name) not in (None, before[name]),
                    timeout=30, what=f"{name} restarted", log=log,
                )  # fmt: skip
                after = up_children(proc.pid)
                assert {k: v for k, v in after.items() if k != name} == {
                    k: v for k, v in before.items() if k != name
                }, f"killing {name} touched the others"
                assert get_json(health) is not None or name == "web"  # the web kept serving meanwhile
                if name in start_lines:
                    wait_for(
                        lambda name=name, started=started: log.read_text().count(start_lines[name]) > started[name],
                        timeout=60, what=f"{name} started again", log=log,
                    )  # fmt: skip
                if serving[name]:
                    wait_for(serving[name], timeout=60, what=f"{name} serving again", log=log)
                assert f"进程 {name}（pid {before[name]}）意外退出（信号 9）" in log.read_text()
            # One gateway worker killed: the gateway restarts it itself; up's children keep their pids.
            before = up_children(proc.pid)
            workers = gateway_workers(before["gateway"])
            assert len(workers) == 2
            victim = min(workers)
            os.kill(victim, signal.SIGKILL)
            wait_for(
                lambda: len(gateway_workers(before["gateway"]) - workers) == 1,
                timeout=30,
                what="worker",
                log=log,
            )
            assert up_children(proc.pid) == before and accepts(jt808)
            assert f"(pid {victim}) died (signal 9)" in log.read_text()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert "已停止" in log.read_text()
            assert not children_of(proc.pid)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_up_refuses_to_start_with_the_wrong_master_key(tmp_path):
    with fresh_database(tmp_path) as url:
        env = product_env(url, tmp_path)
        seeded = manage("migrate", env=env)
        assert seeded.returncode == 0, seeded.stderr
        assert manage("seed_demo", env=env).returncode == 0
        wrong = {**env, "ANBANG_MASTER_KEY": product_env(url, tmp_path)["ANBANG_MASTER_KEY"]}
        result = manage("up", "--port", str(free_port()), env=wrong, timeout=60)
        assert result.returncode != 0
        assert "主密钥与数据库不匹配" in result.stderr
        assert "ANBANG_MASTER_KEY" in result.stderr


def test_the_access_log_never_records_query_strings():
    from backend.core.management.commands.up import ACCESS_LOG_FORMAT

    assert (
        "%(U)s" in ACCESS_LOG_FORMAT and "%(r)s" not in ACCESS_LOG_FORMAT and "%(q)s" not in ACCESS_LOG_FORMAT
    )


def test_up_killed_with_sigkill_leaves_no_child_holding_the_ports(tmp_path):
    port, *gateway_ports = free_ports(6)
    log = tmp_path / "up.log"
    protocols = ("osmand", "jt808", "gt06", "h02", "watch")
    gateway = {f"ANBANG_{p.upper()}_PORT": str(n) for p, n in zip(protocols, gateway_ports, strict=True)}
    health = f"http://127.0.0.1:{port}/api/v1/health"
    with fresh_database(tmp_path) as url:
        env = product_env(url, tmp_path, **gateway)
        proc = start_manage("up", "--port", str(port), "--workers", "1", "--no-seed", env=env, log=log)
        children: dict[str, int] = {}
        try:
            wait_for(lambda: get_json(health), timeout=60, what="health", log=log)
            wait_for(lambda: "gateway ready" in log.read_text(), timeout=30, what="gateway", log=log)
            children = up_children(proc.pid)
            assert set(children) == {"web", "gateway", "sender", "scheduler"}, children
            workers = gateway_workers(children["gateway"])
            proc.kill()
            proc.wait()
            wait_for(
                lambda: not any(os.path.exists(f"/proc/{pid}") for pid in [*children.values(), *workers]),
                timeout=30, what="children gone", log=log,
            )  # fmt: skip
            assert not accepts(port) and not accepts(int(gateway["ANBANG_JT808_PORT"]))
        finally:
            for pid in children.values():
                if os.path.exists(f"/proc/{pid}"):
                    os.kill(pid, signal.SIGKILL)
