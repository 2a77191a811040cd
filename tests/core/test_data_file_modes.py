"""The data folder is the service user's alone: 0700, and the database with its WAL and shared-memory
files, the keys and the audit heads 0600 — after a real `make keys` and migrate from a shell whose umask
is the usual 022, and for an older install whose folder and database were created readable by all."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, fresh_keys

pytestmark = pytest.mark.slow

# Run in the product process while its connection is open, so the -wal and -shm files exist.
HOLD_OPEN = """
from django.db import connection
from backend.core.audit import record_audit
from backend.supervision.scheduler import audit_head
record_audit(actor=None, action="db.backup")
audit_head()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM core_auditevent")
import os
for suffix in ("", "-wal", "-shm"):
    path = connection.settings_dict["NAME"] + suffix
    print(path, oct(os.stat(path).st_mode & 0o777))
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """A product command started the way a shell with umask 022 starts it."""
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
                            preexec_fn=lambda: os.umask(0o022))  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def sqlite_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANBANG_") and k != "DATABASE_URL"}
    return {**env, "ANBANG_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "backend.settings"}


def test_make_keys_then_migrate_leaves_everything_private(tmp_path):
    data = tmp_path / "data"  # `make keys` creates it, as on a first `make run`
    env = sqlite_env(data)
    run([sys.executable, "-m", "backend.core.crypto.root_keys", "init", str(data / "secrets")], env)
    assert mode(data) == 0o700
    run([sys.executable, "manage.py", "migrate", "-v", "0"], env)
    held = run([sys.executable, "manage.py", "shell", "-c", HOLD_OPEN], env).stdout
    assert mode(data) == 0o700 and mode(data / "secrets") == 0o700
    assert {mode(p) for p in (data / "secrets").iterdir()} == {0o600}
    modes = dict(line.rsplit(" ", 1) for line in held.splitlines() if line.startswith(str(data)))
    assert modes == {str(data / f"anbang.sqlite3{s}"): "0o600" for s in ("", "-wal", "-shm")}
    assert mode(data / "anbang.sqlite3") == 0o600
    assert mode(data / "audit-heads.log") == 0o600
    assert mode(data / "static") == 0o700


def test_an_older_install_readable_by_all_is_made_private_at_start(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "anbang.sqlite3"
    database.touch()
    database.chmod(0o644)
    env = {**sqlite_env(data), **fresh_keys()}
    run([sys.executable, "manage.py", "migrate", "-v", "0"], env)
    assert mode(data) == 0o700 and mode(database) == 0o600
