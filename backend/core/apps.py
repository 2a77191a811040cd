from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "backend.core"
    label = "core"
    verbose_name = "基础：辖区、用户、加密与审计"

    def ready(self) -> None:
        from backend.core.crypto.root_keys import load_root_keys

        # A missing or malformed key stops every process at start, before it can write anything.
        # Whether the keys match the database is checked on first use (keyring.verify_keys).
        load_root_keys()
