from __future__ import annotations

import argparse
import asyncio
import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backend.core.crypto.keyring import get_keyring
from backend.core.crypto.root_keys import KeyConfigError
from backend.env import env_int, env_str
from backend.monitoring.ingest.storage import DjangoStorage
from gps_gateway.runner import DEFAULT_PORTS, GatewayOptions, run_gateway
from gps_gateway.supervisor import Backoff, die_with_parent
from gps_gateway.workers import supervise


def run(coroutine) -> None:
    """uvloop where it is installed (Linux, macOS), asyncio's own loop otherwise."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


class Command(BaseCommand):
    help = "运行定位网关（OsmAnd 5055、JT/T 808 5015、GT06 5023、H02 5013、Watch 5093）"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=env_str("GATEWAY_BIND", "0.0.0.0"), help="监听地址")  # noqa: S104
        for protocol, port in DEFAULT_PORTS.items():
            parser.add_argument(
                f"--{protocol}-port",
                type=int,
                default=env_int(f"{protocol.upper()}_PORT", port, minimum=1, maximum=65535),
                help=f"{protocol} 端口（默认 {port}，或 ANBANG_{protocol.upper()}_PORT）",
            )
        parser.add_argument("--stats-interval", type=float, default=10.0, help="统计日志间隔（秒）")
        parser.add_argument(
            "--refresh-interval", type=float, default=5.0, help="重新读取设备登记的间隔（秒）"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("GATEWAY_WORKERS", min(4, os.cpu_count() or 1), minimum=1, maximum=64),
            help="工作进程数（默认 CPU 核数，最多 4；或 ANBANG_GATEWAY_WORKERS）",
        )
        parser.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument(
            "--idle-timeout",
            type=float,
            default=env_int("GATEWAY_IDLE_TIMEOUT_S", 600, minimum=1),
            help="连接空闲超时（秒，默认 600，或 ANBANG_GATEWAY_IDLE_TIMEOUT_S）",
        )
        parser.add_argument(
            "--identify-timeout",
            type=float,
            default=settings.GATEWAY_IDENTIFY_SECONDS,
            help="新连接须在此时间内证明设备身份，否则断开（秒，默认 30，或 ANBANG_GATEWAY_IDENTIFY_SECONDS）",
        )
        parser.add_argument(
            "--max-connections-per-ip",
            type=int,
            default=settings.GATEWAY_MAX_CONNECTIONS_PER_IP,
            help="每个工作进程中同一来源地址的连接上限（0 为不限；默认 1000，或 ANBANG_GATEWAY_MAX_CONNECTIONS_PER_IP）",
        )

    def handle(self, *args, **options):
        try:
            get_keyring(refresh=True)  # fixes are stored encrypted: refuse to start with wrong keys
        except KeyConfigError as exc:
            raise CommandError(str(exc)) from None
        ports = {protocol: options[f"{protocol}_port"] for protocol in DEFAULT_PORTS}
        if len(set(ports.values())) != len(ports):
            raise CommandError(f"端口重复：{ports}")
        if options["workers"] > 1 and options["worker_index"] is None:
            raise SystemExit(supervise(sys.argv, options["workers"], Backoff.from_settings(settings)))
        if options["worker_index"] is not None:
            die_with_parent(int(os.environ.get("ANBANG_GATEWAY_PARENT_PID", "0")))
        gateway_options = GatewayOptions(
            bind=options["bind"],
            ports=ports,
            stats_interval=options["stats_interval"],
            refresh_interval=options["refresh_interval"],
            idle_timeout=options["idle_timeout"],
            identify_timeout=options["identify_timeout"],
            max_connections_per_ip=options["max_connections_per_ip"],
            reuse_port=options["workers"] > 1,
            node_suffix="" if options["worker_index"] is None else f"#{options['worker_index']}",
            gc_threshold=settings.GATEWAY_GC_THRESHOLD,
        )
        try:
            # The storage is built inside run_gateway, in this process: each worker has its own.
            run(run_gateway(gateway_options, DjangoStorage, ready=lambda: print("gateway ready", flush=True)))
        except OSError as exc:
            raise CommandError(f"网关无法启动：{exc}") from None
        sys.stdout.flush()
