"""Running the gateway: listeners, the storage's start and upkeep, and the stats line.

``run_gateway`` is what ``manage.py rungateway`` calls, with the storage to build (``gps_gateway.ports``);
tests start it in a subprocess for real sockets.  SIGTERM/SIGINT stop the listeners, let the storage
commit what was queued and the devices' last status, and exit.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass

from gps_gateway.clock import now
from gps_gateway.ports import Storage
from gps_gateway.server import ConnectionLimits, Gateway
from gps_gateway.stats import GatewayCounters

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
    gc_threshold: int = 50_000  # settings.GATEWAY_GC_THRESHOLD (``settle_memory``)


def settle_memory(threshold: int = 50_000) -> None:
    """After start-up (Django, the models, the device directory): what exists now lives as long as the
    process, so the collector stops walking it (``gc.freeze``), and young collections run less often
    (``ANBANG_GATEWAY_GC_THRESHOLD``, default 50,000).  Fixes, rows and futures are freed by reference
    counting; at Python's default of 700 the collector ran many times a second per worker for nothing, and
    its full collections over a fleet's connections paused the event loop (docs/architecture.md)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(threshold, middle, old)


def raise_file_limit() -> int:
    """10,000 trackers mean 10,000 sockets; lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


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


async def run_gateway(
    options: GatewayOptions, open_storage: Callable[[GatewayCounters], Storage], ready=None
) -> None:
    """Serve until SIGTERM/SIGINT.  ``open_storage`` is called here, in the process that serves: each
    ``SO_REUSEPORT`` worker builds its own (a database connection does not survive a fork)."""
    counters = GatewayCounters()
    storage = open_storage(counters)
    loaded = await asyncio.to_thread(storage.load)
    settle_memory(options.gc_threshold)
    storage.start()
    limits = ConnectionLimits(
        idle_timeout=options.idle_timeout,
        identify_timeout=options.identify_timeout,
        max_per_source=options.max_connections_per_ip,
    )
    gateway = Gateway(storage.devices, storage.fixes, counters, limits=limits)
    ports = {**DEFAULT_PORTS, **(options.ports or {})}
    started = now()
    node = options.node or f"{socket.gethostname()}:{ports.get('jt808')}{options.node_suffix}"
    for protocol, port in ports.items():
        if protocol != "osmand" and protocol not in gateway.sessions:
            logger.warning("gateway: no decoder for %s yet; port %d not opened", protocol, port)
            continue
        await gateway.listen(protocol, options.bind, port, reuse_port=options.reuse_port)
        logger.info("gateway: %s listening on %s:%d", protocol, options.bind, port)
    logger.info("gateway: %d devices loaded, file limit %d", loaded, raise_file_limit())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def upkeep():
        await asyncio.to_thread(storage.upkeep)

    async def report():
        counters.rate = counters.fixes_per_second()
        logger.info(counters.log_line(counters.rate))
        await asyncio.to_thread(storage.report, node, started, counters)

    tasks = [
        asyncio.create_task(_every(options.refresh_interval, upkeep, stop)),
        asyncio.create_task(_every(options.stats_interval, report, stop)),
    ]
    if ready is not None:
        ready()
    await stop.wait()
    logger.info("gateway: stopping; writing what is queued")
    await gateway.close()
    await asyncio.to_thread(storage.close)
    for task in tasks:
        task.cancel()
    await asyncio.to_thread(storage.report, node, started, counters)
    logger.info("gateway: stopped. %s", counters.log_line(0))
