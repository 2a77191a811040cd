"""What the JT/T 808 extras handlers share: the target they write into and small byte helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gps_gateway.protocols.common import Fix
from gps_gateway.protocols.jt808.frames import Reader

# Alarm names Traccar uses that have no constant in common.Alarm (yet).
HARD_ACCELERATION = "hardAcceleration"
HARD_BRAKING = "hardBraking"
HARD_CORNERING = "hardCornering"
ACCIDENT = "accident"
DOOR = "door"
FAULT = "fault"
TOW = "tow"
LANE_CHANGE = "laneChange"
POWER_RESTORED = "powerRestored"
IDLE = "idle"
FATIGUE_DRIVING = "fatigueDriving"

# Models whose vendor TLVs (or alarm bits) mean something else than on the generic terminals.
AOVX_MODELS = frozenset({"AL300", "GL100"})
JC_MODELS = frozenset({"JC371", "JC181", "JC182", "JC450", "JC451"})
DOOR_STATUS_MODELS = frozenset({"MV810G", "MV710G"})
STEP_COUNTER_MODELS = frozenset({"C5", "C5L"})


@dataclass(slots=True)
class Extras:
    """What the TLV handlers write into: the fix, plus the radio environment gathered on the way."""

    fix: Fix
    model: str | None
    tlv_id: int = 0  # the id being handled, for handlers shared by several ids
    cells: list[dict[str, int]] = field(default_factory=list)
    wifi: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # TLVs too short for their id, for the frame's details

    def set(self, key: str, value: Any) -> None:
        self.fix.attributes[key] = value

    def alarm(self, code: str) -> None:
        self.fix.alarms.add(code)

    def finish(self) -> None:
        """Copy the Traccar attributes that have a typed home in ``Fix`` and attach the network."""
        attrs = self.fix.attributes
        if isinstance(attrs.get("sat"), int):
            self.fix.satellites = attrs["sat"]
        level = attrs.get("batteryLevel")
        if isinstance(level, int | float) and 0 <= level <= 100:
            self.fix.battery_pct = round(level)
        if self.cells or self.wifi:
            network: dict[str, Any] = {}
            if self.cells:
                network["cellTowers"] = self.cells
            if self.wifi:
                network["wifiAccessPoints"] = self.wifi
            attrs["network"] = network


Handler = Callable[[Extras, Reader, int], None]


def handles(table: dict[int, Handler], *ids: int) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for tlv_id in ids:
            table[tlv_id] = handler
        return handler

    return register


def latin1(data: bytes) -> str:
    # Traccar reads these "ASCII" fields byte for byte (Netty maps each byte to one char), so do we.
    return data.decode("latin-1")


_JAVA_WHITESPACE = "".join(chr(c) for c in range(0x21))


def java_trim(text: str) -> str:
    """Strip what Java's ``String.trim`` strips: every char up to U+0020, NULs included."""
    return text.strip(_JAVA_WHITESPACE)


def bit(value: int, index: int) -> bool:
    return bool(value >> index & 1)


def bits(value: int, start: int, stop: int) -> int:
    """Bits ``start`` up to (not including) ``stop``."""
    return value >> start & ((1 << (stop - start)) - 1)
