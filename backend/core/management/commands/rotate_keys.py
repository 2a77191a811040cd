from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.crypto.key_store import create_data_key, wrap_data_key
from backend.core.crypto.keyring import get_keyring
from backend.core.crypto.root_keys import KeyConfigError, fingerprint
from backend.core.models import DataKey


class Command(BaseCommand):
    help = "新建一个数据密钥版本并启用（--rewrap：用当前主密钥重新包裹全部数据密钥）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--rewrap",
            action="store_true",
            help="更换主密钥后使用：ANBANG_MASTER_KEY 为新主密钥，ANBANG_MASTER_KEY_PREVIOUS 为旧主密钥",
        )

    def handle(self, *args, rewrap: bool = False, **options):
        try:
            keyring = get_keyring(refresh=True)
        except KeyConfigError as exc:
            raise CommandError(str(exc)) from None
        if rewrap:
            return self.rewrap(keyring)
        version = create_data_key(keyring.root)
        get_keyring(refresh=True)
        record_audit(
            actor=None,
            actor_label="command:rotate_keys",
            action=AuditAction.CRYPTO_ROTATE,
            details={"version": version},
        )
        self.stdout.write(self.style.SUCCESS(f"新数据密钥 v{version} 已启用，新写入的数据将使用它。"))
        self.stdout.write("旧数据仍可读取；运行 `manage.py reencrypt` 用新密钥重写旧数据。")

    def rewrap(self, keyring) -> None:
        current = fingerprint(keyring.root.master, "master")
        rewrapped = 0
        for row in DataKey.objects.order_by("version"):
            if row.wrapped_by == current:
                continue
            DataKey.objects.filter(pk=row.version).update(
                wrapped_key=wrap_data_key(keyring.root, row.version, keyring.raw_keys[row.version]),
                wrapped_by=current,
            )
            rewrapped += 1
        record_audit(
            actor=None,
            actor_label="command:rotate_keys",
            action=AuditAction.CRYPTO_REWRAP,
            details={"keys": rewrapped},
        )
        get_keyring(refresh=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"已用当前主密钥重新包裹 {rewrapped} 个数据密钥；现在可以移除 ANBANG_MASTER_KEY_PREVIOUS。"
            )
        )
