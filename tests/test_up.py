"""``manage.py up`` as a newcomer runs it: a fresh database, real processes, real HTTP."""

from __future__ import annotations

import json
import signal
import socket
import urllib.error
import urllib.request

import pytest

from tests.support.processes import (
    free_port,
    free_ports,
    fresh_database,
    manage,
    product_env,
    start_manage,
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
