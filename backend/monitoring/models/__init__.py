from backend.monitoring.models.alert import (
    NEVER_AUTO_RESOLVED,
    SEVERITY_RANK,
    Alert,
    AlertEvent,
    AlertKind,
    AlertState,
    Resolution,
    Severity,
)
from backend.monitoring.models.device import (
    WEAK_AUTH_PROTOCOLS,
    Device,
    DeviceAssignment,
    DeviceKind,
    Protocol,
)
from backend.monitoring.models.order import Decision, Ground, LocationOrder, LocationOrderRenewal
from backend.monitoring.models.position import GatewayStats, Position
from backend.monitoring.models.zone import Zone, ZoneKind, ZoneLayer, ZoneState

__all__ = [
    "NEVER_AUTO_RESOLVED",
    "SEVERITY_RANK",
    "WEAK_AUTH_PROTOCOLS",
    "Alert",
    "AlertEvent",
    "AlertKind",
    "AlertState",
    "Decision",
    "Device",
    "DeviceAssignment",
    "DeviceKind",
    "GatewayStats",
    "Ground",
    "LocationOrder",
    "LocationOrderRenewal",
    "Position",
    "Protocol",
    "Resolution",
    "Severity",
    "Zone",
    "ZoneKind",
    "ZoneLayer",
    "ZoneState",
]
