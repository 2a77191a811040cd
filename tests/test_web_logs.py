"""The web server as ``manage.py up`` runs it (gunicorn with the project's options), probed over a raw
socket: a forged line in the path stays on its access-log line, escaped, with the request id."""

from __future__ import annotations

import re
import socket
import subprocess
import time

import pytest

from backend.core.management.commands.up import process_table
from tests.support.processes import ROOT, free_port, fresh_database, manage, product_env, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

FORGED_TARGET = "/x%0a2026-12-08%2003:00:00,000%20ERROR%20anbang.audit%20FORGED-LINE%0d%1b[31m"


def raw_get(port: int, target: str, request_id: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: {request_id}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def answers(port: int) -> bool:
    try:
        return raw_get(port, "/api/v1/health", "probe-health-01").startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def test_the_access_log_escapes_a_forged_line_and_names_the_request_id(tmp_path):
    port = free_port()
    access, output = tmp_path / "access.log", tmp_path / "web.log"
    with fresh_database(tmp_path) as url:
        env = product_env(url, tmp_path)
        assert manage("migrate", env=env).returncode == 0
        (_, argv), *_ = process_table({"bind": "127.0.0.1", "port": port, "workers": 1})
        with output.open("w") as handle:
            web = subprocess.Popen(
                [*argv, "--access-logfile", str(access)], cwd=ROOT, env=env, stdout=handle, stderr=handle
            )
        try:
            wait_for(lambda: answers(port), timeout=60, what="web server", log=output)
            answer = raw_get(port, FORGED_TARGET, "probe-forge-0002")
            assert answer.split(b"\r\n", 1)[0] in {b"HTTP/1.1 404 Not Found", b"HTTP/1.1 302 Found"}
            wait_for(lambda: "FORGED" in access.read_text(), timeout=10, what="access log")
            time.sleep(0.2)
        finally:
            web.terminate()
            web.wait(timeout=30)
    lines = access.read_text().splitlines()
    assert not any(line.startswith("2026-12-08") for line in lines), lines
    assert "\x1b" not in access.read_text() and "\r" not in access.read_text()
    (line,) = [line for line in lines if "FORGED-LINE" in line]
    assert re.search(
        r"GET /x\\x0a2026-12-08 03:00:00,000 ERROR anbang\.audit FORGED-LINE\\x0d\\x1b\[31m ", line
    )
    assert line.endswith("probe-forge-0002"), line
    assert "FORGED-LINE" in output.read_text()  # Django's "Not Found" line, on one line with the id
    (ours,) = [line for line in output.read_text().splitlines() if "FORGED-LINE" in line]
    assert "[probe-forge-0002]" in ours and "\x1b" not in ours
