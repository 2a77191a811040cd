from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from backend.core.actions.accounts import create_token
from backend.core.errors import DomainError
from backend.core.models import User


class Command(BaseCommand):
    help = "为用户新建访问令牌并输出到标准输出（仅显示这一次）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行创建", help="令牌用途说明")
        parser.add_argument("--days", type=int, default=None, help="有效期（天）")

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效用户")
        try:
            issued = create_token(user=user, name=name, days=days)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stderr.write(
            f"令牌 {issued.token.pk} 有效期至 {issued.token.expires_at:%Y-%m-%d}；请妥善保存，之后无法再次查看。"
        )
        self.stdout.write(issued.plaintext)
