from __future__ import annotations

from django.core.management.base import BaseCommand

from backend.monitoring.actions.alerts import escalate_due


class Command(BaseCommand):
    help = "升级逾期未签收的告警（一次；调度器每分钟运行）"

    def handle(self, *args, **options):
        moved = escalate_due()
        self.stdout.write(f"已升级 {moved} 条告警")
