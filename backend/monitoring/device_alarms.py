"""Device alarms become alerts (the gateway's post-commit hook): SOS, strap cut or tamper, power cut,
low battery — with or without a usable position (a fix that carries an alarm is kept without its position:
docs/protocols.md, "What happens to a fix").  Repeats of the same alarm count on the open alert instead of
opening new ones.
"""

from __future__ import annotations

import logging

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import AlertKind, Device, Severity
from backend.people.models import Person
from gps_gateway.protocols.common import Alarm
from gps_gateway.rows import FixRow

logger = logging.getLogger("anbang.monitoring")

# Device alarm code → (alert kind, severity).  Alarms not listed (vibration, overspeed, the device's own
# geofences …) are stored with the fix but are not alerts: zones are judged by the server, not the device.
ALARM_ALERTS: dict[str, tuple[str, str]] = {
    Alarm.SOS: (AlertKind.SOS, Severity.CRITICAL),
    Alarm.REMOVING: (AlertKind.TAMPER, Severity.CRITICAL),
    Alarm.TAMPERING: (AlertKind.TAMPER, Severity.CRITICAL),
    Alarm.POWER_CUT: (AlertKind.POWER_CUT, Severity.HIGH),
    Alarm.POWER_OFF: (AlertKind.POWER_CUT, Severity.HIGH),
    Alarm.LOW_BATTERY: (AlertKind.LOW_BATTERY, Severity.LOW),
    Alarm.LOW_POWER: (AlertKind.LOW_BATTERY, Severity.LOW),
}


def alerts_from_batch(rows: list[FixRow]) -> int:
    """Raise an alert for every alarm in a committed batch.  Cheap when no row carries an alarm."""
    flagged = [row for row in rows if row.fix.alarms]
    if not flagged:
        return 0
    persons = Person.objects.in_bulk({row.person_id for row in flagged if row.person_id})
    devices = Device.objects.in_bulk({row.device_id for row in flagged})
    raised = 0
    for row in sorted(flagged, key=lambda r: r.fix.fix_time):
        for alarm in sorted(row.fix.alarms):
            mapped = ALARM_ALERTS.get(alarm)
            if mapped is None:
                continue
            kind, severity = mapped
            person = persons.get(row.person_id) if row.person_id else None
            raise_alert(
                kind=kind, severity=severity, person=person, device=devices[row.device_id],
                subject=f"device:{row.device_id}", at=row.fix.fix_time, late=row.late or row.fix.archive,
                details={"alarm": alarm, "device": row.device_id, "fix_time": row.fix.fix_time.isoformat()},
            )  # fmt: skip
            raised += 1
    return raised
