"""``manage.py up``: the embedded default — migrate, seed demo data when empty, run every process.

Children are supervised (``gps_gateway.supervisor``): one that dies is logged and started again with
capped exponential backoff (``ANBANG_RESTART_*``) while the others keep serving.  Ctrl+C or SIGTERM stops
them all and ``up`` exits 0.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from backend.core.crypto.keyring import get_keyring
from backend.core.crypto.root_keys import KeyConfigError
from backend.core.demo import has_demo_data, login_table
from backend.core.models import User
from backend.env import env_int
from gps_gateway.runner import DEFAULT_PORTS
from gps_gateway.supervisor import Backoff, Supervisor, die_with_parent

logger = logging.getLogger("anbang.up")

# The last field is the request id our middleware answers with (X-Request-ID), as in our own log lines.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms %({x-request-id}o)s'


def gateway_ports() -> dict[str, int]:
    return {protocol: env_int(f"{protocol.upper()}_PORT", port) for protocol, port in DEFAULT_PORTS.items()}


def process_table(options: dict) -> list[tuple[str, list[str]]]:
    """Each process the product runs, as (name, argv).  Later capabilities append theirs here."""
    bind = f"{options['bind']}:{options['port']}"
    return [
        (
            "web",
            [
                sys.executable, "-m", "gunicorn", "backend.wsgi:application",
                "--bind", bind, "--workers", str(options["workers"]), "--threads", "4",
                "--graceful-timeout", "10", "--access-logfile", "-", "--no-control-socket",
                # %(U)s is the path without the query string: a search value must never reach a log file.
                "--access-logformat", ACCESS_LOG_FORMAT,
                # Control bytes escaped in the access and error logs (a path can carry %0a).
                "--logger-class", "backend.core.gunicorn_logger.SafeGunicornLogger",
            ],
        ),
        ("gateway", [sys.executable, "manage.py", "rungateway"]),
        ("sender", [sys.executable, "manage.py", "sendnotifications"]),
        ("scheduler", [sys.executable, "manage.py", "runscheduler"]),
    ]  # fmt: skip


class Command(BaseCommand):
    help = "一键启动：迁移数据库、空库时写入演示数据、启动全部进程并打印访问地址"

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind", default=settings.HTTP_BIND, help="Web 监听地址（默认 ANBANG_HTTP_BIND 或 127.0.0.1）"
        )
        parser.add_argument("--port", type=int, default=settings.HTTP_PORT, help="Web 端口（默认 8000）")
        parser.add_argument("--workers", type=int, default=2, help="Web 工作进程数")
        parser.add_argument("--no-seed", action="store_true", help="空库时也不写入演示数据")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        try:
            get_keyring(refresh=True)
        except KeyConfigError as exc:
            raise CommandError(str(exc)) from None
        if not options["no_seed"] and not User.objects.exists():
            self.stdout.write("数据库为空，写入演示数据（虚构）…")
            call_command("seed_demo", stdout=io.StringIO())  # the banner below lists the logins
        supervisor = Supervisor(
            {
                # SIGTERM when up itself dies (even by kill -9): the children stop cleanly, ports freed.
                name: functools.partial(
                    subprocess.Popen,
                    argv,
                    preexec_fn=functools.partial(die_with_parent, os.getpid(), signal.SIGTERM),
                )
                for name, argv in process_table(options)
            },
            backoff=Backoff.from_settings(settings),
            logger=logger,
        )
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        supervisor.start_all()
        self.print_banner(options)
        supervisor.run(lambda: stopping)
        supervisor.stop(timeout=15)
        self.stdout.write("已停止。")

    def print_banner(self, options: dict) -> None:
        host = "127.0.0.1" if options["bind"] in {"0.0.0.0", "::"} else options["bind"]  # noqa: S104
        url = f"http://{host}:{options['port']}/"
        lines = [
            "",
            "安帮已启动",
            f"  控制台   {url}",
            f"  接口文档 {url}api/v1/docs",
            "  定位网关 " + "  ".join(f"{name} {port}" for name, port in gateway_ports().items()),
            "  告警通知 站内信"
            + "".join(
                f"、{name}"
                for name, on in (("短信", settings.SMS_PROVIDER), ("邮件", settings.EMAIL_HOST))
                if on
            )
            + "、Webhook（短信与邮件在 ANBANG_SMS_* / ANBANG_EMAIL_* 中配置）",
            f"  数据库   {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} {settings.DATABASES['default']['NAME']}",
        ]
        if has_demo_data():
            lines += ["演示账户（虚构数据）：", login_table()]
        lines.append("按 Ctrl+C 停止。")
        self.stdout.write("\n".join(lines), ending="\n")
        self.stdout.flush()
