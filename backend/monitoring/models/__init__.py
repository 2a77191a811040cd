from backend.monitoring.models.device import (
    WEAK_AUTH_PROTOCOLS,
    Device,
    DeviceAssignment,
    DeviceKind,
    Protocol,
)
from backend.monitoring.models.position import GatewayStats, Position

__all__ = [
    "WEAK_AUTH_PROTOCOLS",
    "Device",
    "DeviceAssignment",
    "DeviceKind",
    "GatewayStats",
    "Position",
    "Protocol",
]
