"""Running the gateway: listeners, the writer thread, directory refresh, status flush and the stats line.

``run_gateway`` is what ``manage.py rungateway`` calls; tests start it in a subprocess for real sockets.
SIGTERM/SIGINT stop the listeners, let the writer commit what was queued, flush device status, and exit.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import signal
import socket
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from gps_gateway.directory import DeviceDirectory
from gps_gateway.server import ConnectionLimits, Gateway
from gps_gateway.stats import GatewayCounters
from gps_gateway.writer import BatchWriter

logger = logging.getLogger("anbang.gateway")

DEFAULT_PORTS = {"osmand": 5055, "jt808": 5015, "gt06": 5023, "h02": 5013, "watch": 5093}


@dataclass
class GatewayOptions:
    bind: str = "0.0.0.0"  # noqa: S104 (trackers connect from the mobile network)
    ports: dict[str, int] | None = None
    stats_interval: float = 10.0
    refresh_interval: float = 5.0
    node: str = ""
    idle_timeout: float = 600.0
    identify_timeout: float = 30.0
    max_connections_per_ip: int = 1000
    reuse_port: bool = False
    node_suffix: str = ""


def register_monitoring_hooks() -> None:
    """What runs after each committed batch ([Monitoring]); the writer calls them in commit order."""
    from backend.monitoring.device_alarms import alerts_from_batch
    from backend.monitoring.implausible import alerts_from_implausible
    from backend.monitoring.zone_watch import ZoneEvaluator
    from gps_gateway import hooks

    hooks.register(alerts_from_batch)
    hooks.register(alerts_from_implausible)
    hooks.register(ZoneEvaluator())


def tell_officers_to_remove_tags(directory: DeviceDirectory) -> int:
    """One alert per tag still reporting after its location order ended (repeats count on it)."""
    from backend.monitoring.actions.alerts import raise_alert
    from backend.monitoring.models import AlertKind, Device

    refused = directory.refused_tags()
    if not refused:
        return 0
    close_old_connections()
    for device in Device.objects.select_related("person").filter(
        pk__in=[d.id for d in refused], person__isnull=False
    ):
        # The order that ended is the person's latest; its case is the one the tag was worn under.
        order = device.person.location_orders.select_related("case").first()
        raise_alert(
            kind=AlertKind.ORDER_ENDED_TAG, severity="high", person=device.person, device=device,
            case=order.case if order else None, subject=f"device:{device.pk}", details={"device": device.pk},
        )  # fmt: skip
    return len(refused)


def settle_memory() -> None:
    """After start-up (Django, the models, the device directory): what exists now lives as long as the
    process, so the collector stops walking it (``gc.freeze``), and young collections run less often
    (``ANBANG_GATEWAY_GC_THRESHOLD``, default 50,000).  Fixes, rows and futures are freed by reference
    counting; at Python's default of 700 the collector ran ~30 times a second per worker for nothing, and
    its full collections over 10,000 connections paused the event loop for up to 190 ms."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(settings.GATEWAY_GC_THRESHOLD, middle, old)


def raise_file_limit() -> int:
    """10,000 trackers mean 10,000 sockets; lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def save_stats(node: str, started, counters: GatewayCounters) -> None:
    from backend.monitoring.models import GatewayStats

    close_old_connections()
    GatewayStats.objects.update_or_create(
        node=node,
        defaults={"updated_at": timezone.now(), "started_at": started, "counters": counters.snapshot()},
    )


async def _every(seconds: float, work, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass
        try:
            await work()
        except Exception:
            logger.exception("gateway: periodic task failed")


async def run_gateway(options: GatewayOptions, ready=None) -> None:
    counters = GatewayCounters()
    directory = DeviceDirectory()
    loaded = await asyncio.to_thread(directory.refresh)
    writer = BatchWriter(counters)
    register_monitoring_hooks()
    settle_memory()
    writer.start()
    limits = ConnectionLimits(
        idle_timeout=options.idle_timeout,
        identify_timeout=options.identify_timeout,
        max_per_source=options.max_connections_per_ip,
    )
    gateway = Gateway(directory, writer, counters, limits=limits)
    ports = {**DEFAULT_PORTS, **(options.ports or {})}
    started = timezone.now()
    node = options.node or f"{socket.gethostname()}:{ports.get('jt808')}{options.node_suffix}"
    for protocol, port in ports.items():
        if protocol != "osmand" and protocol not in gateway.handlers:
            logger.warning("gateway: no decoder for %s yet; port %d not opened", protocol, port)
            continue
        await gateway.listen(protocol, options.bind, port, reuse_port=options.reuse_port)
        logger.info("gateway: %s listening on %s:%d", protocol, options.bind, port)
    logger.info("gateway: %d devices loaded, file limit %d", loaded, raise_file_limit())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def refresh():
        await asyncio.to_thread(directory.refresh)
        await asyncio.to_thread(directory.flush_status)
        await asyncio.to_thread(tell_officers_to_remove_tags, directory)

    async def report():
        counters.rate = counters.fixes_per_second()
        logger.info(counters.log_line(counters.rate))
        await asyncio.to_thread(save_stats, node, started, counters)

    tasks = [
        asyncio.create_task(_every(options.refresh_interval, refresh, stop)),
        asyncio.create_task(_every(options.stats_interval, report, stop)),
    ]
    if ready is not None:
        ready()
    await stop.wait()
    logger.info("gateway: stopping; writing what is queued")
    await gateway.close()
    await asyncio.to_thread(writer.stop)
    for task in tasks:
        task.cancel()
    await asyncio.to_thread(directory.flush_status)
    await asyncio.to_thread(save_stats, node, started, counters)
    logger.info("gateway: stopped. %s", counters.log_line(0))
