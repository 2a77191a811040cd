"""``manage.py backup FILE``: a consistent copy of the database while the product keeps running.

SQLite: ``VACUUM INTO`` (a transactionally consistent, compacted copy; readers and the gateway go on),
then ``PRAGMA integrity_check`` on the copy.  PostgreSQL: ``pg_dump --format=custom``.
The root keys are deliberately not in the backup: keep them apart (docs/operations.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction


class Command(BaseCommand):
    help = "备份数据库到文件（SQLite 用 VACUUM INTO，PostgreSQL 用 pg_dump）；不含密钥"

    def add_arguments(self, parser):
        parser.add_argument("destination", help="备份文件路径（不得已存在）")

    def handle(self, *args, destination: str, **options):
        target = Path(destination).resolve()
        if target.exists():
            raise CommandError(f"目标文件已存在：{target}（为防止覆盖旧备份，请换一个文件名）")
        if not target.parent.is_dir():
            raise CommandError(f"目录不存在：{target.parent}")
        if connection.vendor == "sqlite":
            self._sqlite(target)
        elif connection.vendor == "postgresql":
            self._postgres(target)
        else:
            raise CommandError(f"不支持的数据库：{connection.vendor}")
        size = target.stat().st_size
        record_audit(
            actor=None, actor_label="command:backup", action=AuditAction.DB_BACKUP, details={"bytes": size}
        )
        self.stdout.write(self.style.SUCCESS(f"已备份到 {target}（{size / 1024 / 1024:.1f} MiB）"))
        self.stdout.write(
            "提醒：备份不含密钥。恢复时需要同一套 ANBANG_MASTER_KEY / BLIND_INDEX_KEY / AUDIT_KEY。"
        )

    def _sqlite(self, target: Path) -> None:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])
        copy = sqlite3.connect(target)
        try:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
        if verdict != "ok":
            raise CommandError(f"备份文件完整性检查失败：{verdict}")
        os.chmod(target, 0o600)

    def _postgres(self, target: Path) -> None:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise CommandError("找不到 pg_dump：请安装 PostgreSQL 客户端（Debian: postgresql-client）")
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
        args = [pg_dump, "--format=custom", "--file", str(target), "--no-owner"]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if db[key]:
                args += [flag, str(db[key])]
        result = subprocess.run([*args, db["NAME"]], env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise CommandError(f"pg_dump 失败：{result.stderr.strip()[:500]}")
        os.chmod(target, 0o600)
