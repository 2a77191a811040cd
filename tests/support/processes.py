"""Helpers for tests that run the product's processes for real: free ports, fresh databases, waiting."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

# One port picker for tests and benchmarks (re-exported for the tests that import it from here).
from bench.common import free_port as free_port
from bench.common import free_ports as free_ports

ROOT = Path(__file__).resolve().parents[2]


def fresh_keys() -> dict[str, str]:
    keys = {
        f"ANBANG_{name}": base64.b64encode(secrets.token_bytes(32)).decode()
        for name in ("MASTER_KEY", "BLIND_INDEX_KEY", "AUDIT_KEY")
    }
    return {**keys, "ANBANG_SECRET_KEY": secrets.token_urlsafe(48)}


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL for an empty database of the kind the suite runs on (SQLite file or a new PG database)."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'product.sqlite3'}"
        return
    settings = connection.settings_dict
    name = f"anbang_proc_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        yield f"postgres://{auth}@{settings['HOST']}:{settings['PORT']}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def product_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANBANG_")}
    env.update(fresh_keys())
    env.update(
        {
            "DATABASE_URL": database_url,
            "ANBANG_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "backend.settings",
        }
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_manage(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(predicate, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


def accepts(port: int) -> bool:
    """Something listens on ``port`` of the loopback address."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def children_of(pid: int) -> dict[int, str]:
    """The live (not zombie) child processes of ``pid`` with their command lines, read from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(ppid) == pid and state != "Z" and cmdline:
            children[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return children


def up_children(pid: int) -> dict[str, int]:
    """``up``'s children by name (web, gateway, sender, scheduler) → pid."""
    names = {
        "gunicorn": "web",
        "rungateway": "gateway",
        "sendnotifications": "sender",
        "runscheduler": "scheduler",
    }
    return {
        name: child
        for child, cmdline in children_of(pid).items()
        for word, name in names.items()
        if word in cmdline
    }


def gateway_workers(gateway_pid: int) -> set[int]:
    """The gateway's worker processes (SO_REUSEPORT), children of its parent process."""
    return {pid for pid, cmdline in children_of(gateway_pid).items() if "--worker-index" in cmdline}


def listening_pids(port: int) -> set[int]:
    """The processes holding a listening TCP socket on ``port`` (IPv4), read from /proc."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
            inodes.add(fields[9])
    holders = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in links):
            holders.add(int(entry.name))
    return holders
