"""The gateway's storage in one worker process (``gps_gateway.ports.Storage``): the device directory, the
batch writer, and the upkeep between them.  ``manage.py rungateway`` passes this class to ``run_gateway``,
which builds it in the process that serves, so each ``SO_REUSEPORT`` worker has its own connection,
directory and writer thread."""

from __future__ import annotations

import datetime as dt

from backend.monitoring.ingest.directory import DeviceDirectory
from backend.monitoring.ingest.hooks import register_monitoring_hooks
from backend.monitoring.ingest.upkeep import save_stats, tell_officers_to_remove_tags
from backend.monitoring.ingest.writer import BatchWriter
from gps_gateway.stats import GatewayCounters

JOB_PATIENCE = 60.0  # seconds; a writer that never gets to the job must not hold the process at exit


class DjangoStorage:
    def __init__(self, counters: GatewayCounters) -> None:
        self.devices = DeviceDirectory()
        self.fixes = BatchWriter(counters)

    def load(self) -> int:
        loaded = self.devices.refresh()
        register_monitoring_hooks()
        return loaded

    def start(self) -> None:
        self.fixes.start()

    def upkeep(self) -> None:
        self.devices.refresh()
        # One writer of the database: the status is written on the writer's thread, between its batches.
        self.fixes.call(self.devices.flush_status).result(timeout=JOB_PATIENCE)
        tell_officers_to_remove_tags(self.devices)

    def report(self, node: str, started: dt.datetime, counters: GatewayCounters) -> None:
        save_stats(node, started, counters)

    def close(self) -> None:
        last_status = self.fixes.call(self.devices.flush_status)
        self.fixes.stop()
        last_status.result(timeout=JOB_PATIENCE)
