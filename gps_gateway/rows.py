"""What the gateway hands to its fix sink: one row per fix to store, and which rows jump the queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gps_gateway.protocols.common import Alarm, Fix


@dataclass(slots=True)
class FixRow:
    device_id: int
    person_id: int | None
    fix: Fix
    received_at: dt.datetime
    late: bool
    store_point: bool = True
    implausible: bool = False  # an impossible jump: stored flagged, never judged against zones


# The alarms that jump the queue: a person in danger or a tag taken off.  Not low battery or power cut,
# which some devices keep raising on every fix while the condition lasts.
URGENT_ALARMS = frozenset({Alarm.SOS, Alarm.REMOVING, Alarm.TAMPERING})


def is_urgent(rows: list[FixRow]) -> bool:
    return any(row.fix.alarms and not URGENT_ALARMS.isdisjoint(row.fix.alarms) for row in rows)
