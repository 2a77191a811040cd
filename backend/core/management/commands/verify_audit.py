from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backend.core.audit import verify_chain
from backend.core.models import AuditEvent


def parse_head(text: str) -> tuple[int, str] | None:
    seq_text, _, hash_text = text.strip().partition(":")
    if not seq_text.isdigit() or not hash_text:
        return None
    return int(seq_text), hash_text


def recorded_head(path: Path) -> tuple[int, str] | None:
    """The last head the nightly job appended ("<time> SEQ:HASH" per line); None when none was recorded."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CommandError(f"无法读取链头文件 {path}：{exc.strerror}") from None
    if not lines:
        return None
    head = parse_head(lines[-1].split()[-1])
    if head is None:
        raise CommandError(f"链头文件 {path} 的最后一行不是 SEQ:HASH 形式")
    return head


class Command(BaseCommand):
    help = "校验审计链：逐条重算 HMAC，指出第一处断裂，并与已记录的链头比对（发现末尾被截断或整体清空）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="与此前保存在库外的链头比对（防止末尾记录被整体删除）；不给出时读取链头文件的最后一行",
        )
        parser.add_argument(
            "--heads-file",
            metavar="PATH",
            help="夜间任务记录的链头文件（默认 ANBANG_AUDIT_HEADS_FILE，即 <数据目录>/audit-heads.log）",
        )

    def handle(self, *args, expect_head: str | None = None, heads_file: str | None = None, **options):
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
            head, source = parse_head(expect_head), "--expect-head"
            if head is None:
                raise CommandError("--expect-head 形如 12345:abcdef…")
        else:
            path = Path(heads_file) if heads_file else settings.AUDIT_HEADS_FILE
            head, source = recorded_head(path), str(path)
        if head is not None:
            self.check_head(head, source, report.checked)
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完整：共 {report.checked} 条。链头 {report.head_seq}:{report.head_hash}"
                + ("" if head is None else f"（与已记录的链头 {head[0]} 一致）")
            )
        )

    def check_head(self, head: tuple[int, str], source: str, checked: int) -> None:
        seq, hash_text = head
        if checked == 0:
            # An empty chain has no broken link; only the head recorded outside the database shows loss.
            raise CommandError(
                f"审计链为空，但已记录的链头 {seq}:{hash_text[:16]}…（{source}）表明曾有 {seq} 条：审计记录被清空或数据库被替换"
            )
        found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if found is None:
            raise CommandError(f"已记录的链头第 {seq} 条（{source}）已不存在：审计记录被截断")
        if found != hash_text:
            raise CommandError(f"第 {seq} 条的哈希与已记录的链头不一致（{source}）")
