from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand

from backend.core.demo import login_table


class Command(BaseCommand):
    help = "写入演示数据（可重复运行，已有数据不变）：虚构的县、3 个司法所、10 个社区与各角色账户"

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            ours = config.name.split(".")[0] in {"backend", "notifications"}
            if ours and find_spec(module_name):
                import_module(module_name).seed(self.stdout)
        self.stdout.write("演示账户：\n" + login_table())
