from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backend.core.models import AuditEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_backup_writes_a_restorable_copy_without_plaintext(tree, tmp_path):
    make_user("officer", tree.township_a1, mobile="13800005555")
    target = tmp_path / "anbang-backup.db"
    call_command("backup", str(target), stdout=io.StringIO())
    assert target.stat().st_mode & 0o777 == 0o600
    if connection.vendor == "sqlite":
        copy = sqlite3.connect(target)
        assert copy.execute("SELECT username FROM core_user").fetchall() == [("officer",)]
        copy.close()
        assert b"13800005555" not in target.read_bytes()
    else:
        listing = subprocess.run(
            [shutil.which("pg_restore"), "--list", str(target)], capture_output=True, text=True
        )
        assert listing.returncode == 0 and "core_user" in listing.stdout
    assert AuditEvent.objects.filter(action="db.backup").count() == 1


def test_backup_refuses_to_overwrite_an_existing_file(db, tmp_path):
    target = tmp_path / "old.db"
    target.write_bytes(b"previous backup")
    with pytest.raises(CommandError, match="目标文件已存在"):
        call_command("backup", str(target))
    assert target.read_bytes() == b"previous backup"
