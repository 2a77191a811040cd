from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.crypto.keyring import get_keyring
from backend.core.crypto.reencrypt import TableResult, encrypted_models, reencrypt_model, stale_count
from backend.core.crypto.root_keys import KeyConfigError
from backend.core.models import DataKey, ReencryptCheckpoint


class Command(BaseCommand):
    help = "用当前数据密钥重写全部加密字段（分批、可中断后继续）"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="每批行数（默认 1000）")
        parser.add_argument("--check", action="store_true", help="只统计仍使用旧密钥的字段值，不做改动")
        parser.add_argument("--restart", action="store_true", help="忽略断点，从头扫描")

    def handle(self, *args, batch_size: int, check: bool, restart: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 必须大于 0")
        try:
            keyring = get_keyring(refresh=True)
        except KeyConfigError as exc:
            raise CommandError(str(exc)) from None
        active = keyring.active_version
        targets = encrypted_models()
        if check:
            total = 0
            for model, fields in targets:
                count = stale_count(model, fields, active)
                total += count
                self.stdout.write(f"{model._meta.db_table}: {count} 行仍有旧密钥字段")
            self.stdout.write(f"当前密钥 v{active}；共 {total} 行待重写")
            return
        self._wait_for_other_processes(active)
        if restart:
            ReencryptCheckpoint.objects.filter(target_version=active).delete()
        self.stdout.write(f"目标密钥 v{active}，共 {len(targets)} 张表")
        started = time.monotonic()
        results = [
            reencrypt_model(model, fields, batch_size=batch_size, progress=self._progress)
            for model, fields in targets
        ]
        rewritten = sum(r.rewritten for r in results)
        record_audit(
            actor=None,
            actor_label="command:reencrypt",
            action=AuditAction.CRYPTO_REENCRYPT,
            details={"version": active, "tables": len(results), "values": rewritten},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{sum(r.scanned for r in results)} 行已检查，{rewritten} 个字段值已重写，用时 {time.monotonic() - started:.1f} 秒"
            )
        )

    def _progress(self, result: TableResult) -> None:
        share = f"{100 * result.scanned / result.rows:.0f}%" if result.rows else "100%"
        self.stdout.write(
            f"  {result.table}: {result.scanned}/{result.rows} 行（{share}），已重写 {result.rewritten}"
        )

    def _wait_for_other_processes(self, active: int) -> None:
        # Other processes may hold the previous keyring for KEY_CACHE_SECONDS after a rotation and keep
        # writing with the old key; start only when they have all picked up the new one.
        created = DataKey.objects.get(pk=active).created_at
        wait = settings.KEY_CACHE_SECONDS - (timezone.now() - created).total_seconds()
        if wait > 0:
            self.stdout.write(f"等待 {wait:.0f} 秒，让其他进程载入新密钥 v{active} …")
            time.sleep(wait)
