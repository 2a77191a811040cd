"""Protocols in which a device names itself by IMEI and proves nothing else (GT06, H02, Watch).

They are accepted only for provisioned IMEIs and the device is marked "weak authentication" in the API.
Filled in as each decoder lands; a protocol whose decoder is missing simply has no listener.
"""

from __future__ import annotations

from gps_gateway.directory import DeviceDirectory
from gps_gateway.handlers import UnknownDeviceLog
from gps_gateway.stats import GatewayCounters


def available_imei_handlers(
    directory: DeviceDirectory, counters: GatewayCounters, unknown: UnknownDeviceLog
) -> dict:
    return {}
