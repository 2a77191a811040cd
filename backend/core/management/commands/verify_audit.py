from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.core.audit import verify_chain
from backend.core.models import AuditEvent


class Command(BaseCommand):
    help = "校验审计链：逐条重算 HMAC，指出第一处断裂"

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="与此前保存在库外的链头比对（防止末尾记录被整体删除）",
        )

    def handle(self, *args, expect_head: str | None = None, **options):
        report = verify_chain(progress=lambda n: self.stdout.write(f"  已校验 {n} 条 …"))
        if not report.ok:
            brk = report.first_break
            event = AuditEvent.objects.filter(pk=brk.event_id).first() if brk.event_id else None
            where = (
                f"（id={event.pk}，{timezone.localtime(event.at):%Y-%m-%d %H:%M:%S}，{event.action}）"
                if event
                else ""
            )
            raise CommandError(
                f"审计链在第 {brk.seq} 条处断开{where}：{brk.reason}。此前 {report.checked} 条完好。"
            )
        if expect_head:
            seq_text, _, hash_text = expect_head.partition(":")
            if not seq_text.isdigit() or not hash_text:
                raise CommandError("--expect-head 形如 12345:abcdef…")
            seq = int(seq_text)
            found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
            if found is None:
                raise CommandError(f"保存的链头第 {seq} 条已不存在：审计记录被截断")
            if found != hash_text:
                raise CommandError(f"第 {seq} 条的哈希与保存的链头不一致")
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完整：共 {report.checked} 条。链头 {report.head_seq}:{report.head_hash}"
            )
        )
