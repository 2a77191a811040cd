"""What an attacker with a copy of the database sees: the raw SQLite file (and its WAL), or a pg_dump."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from tests.testapp.models import SecretRecord

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_MOBILE = "13800009876"
SECRET_EMAIL = "secret.officer.7781@anbang.example"
SECRET_NAME = "测试保密姓名甲乙"
SECRET_ID = "99010119900307002X"


def database_bytes() -> bytes:
    """Everything the database holds on disk or in a dump, as bytes."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        connection.close()  # let SQLite flush; the WAL is read too, as it may hold the newest pages
        path = Path(settings["NAME"])
        # Read by a child process: closing a file this process opened would drop every POSIX lock the process
        # holds on it — SQLite's locks of the connections still open (the live server's) — and the next
        # process to close the database would then take itself for the last one and delete the WAL.
        files = [str(p) for p in (path, Path(f"{path}-wal")) if p.exists()]
        return subprocess.run(["cat", *files], check=True, capture_output=True).stdout
    if connection.vendor == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.fail("pg_dump is required for the PostgreSQL run (scripts/with-postgres.sh provides it)")
        env = {**os.environ, "PGPASSWORD": settings["PASSWORD"] or ""}
        args = [
            pg_dump,
            "--data-only",
            "-h",
            settings["HOST"],
            "-p",
            str(settings["PORT"]),
            "-U",
            settings["USER"],
        ]
        return subprocess.run([*args, settings["NAME"]], check=True, capture_output=True, env=env).stdout
    pytest.fail(f"no at-rest check for {connection.vendor}")


def test_values_created_through_the_api_are_not_in_the_database_bytes(tree, admins, api):
    response = api(admins.owner).post(
        "/api/v1/users",
        {
            "username": "encrypted_officer",
            "password": "a long enough password 1",
            "display_name": "加密测试",
            "jurisdiction_id": tree.township_a1.pk,
            "roles": ["township_officer"],
            "mobile": SECRET_MOBILE,
            "email": SECRET_EMAIL,
        },
    )
    assert response.status_code == 201
    assert api(admins.owner).get(f"/api/v1/users/{response.json()['id']}").json()["mobile"] == SECRET_MOBILE
    SecretRecord.objects.create(name=SECRET_NAME, id_number=SECRET_ID, history={"罪名": SECRET_NAME})

    raw = database_bytes()
    assert b"encrypted_officer" in raw, "the check must be reading the right database"
    for secret in (SECRET_MOBILE, SECRET_EMAIL, SECRET_NAME, SECRET_ID):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in raw, f"{secret!r} found in plaintext"
