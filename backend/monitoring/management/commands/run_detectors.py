from __future__ import annotations

from django.core.management.base import BaseCommand

from backend.monitoring.detectors import run_detectors


class Command(BaseCommand):
    help = "运行一次定时检测：信号中断、疑似脱管、告警升级（调度器每分钟运行）"

    def handle(self, *args, **options):
        counts = run_detectors()
        self.stdout.write(
            f"信号中断 {counts['signal_lost']}，疑似脱管 {counts['absconding']}，升级 {counts['escalated']}"
        )
