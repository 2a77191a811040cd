"""A device that keeps reporting impossible jumps becomes a device alert (the gateway's post-commit hook).

One jump is a glitch: it is stored flagged ``implausible`` (gps_gateway.ingest) and counted.  Many within a
window — rules().implausible_fix_alert_count within implausible_fix_alert_window_minutes — is a spoofed
position or a broken receiver, which an officer must check.  The count is read from the positions table,
so the gateway's worker processes agree on it; one alert occurrence per window, however long it goes on.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.core.rules import rules
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Alert, AlertKind, Device, Position, Severity
from backend.people.models import Person
from gps_gateway.rows import FixRow


def alerts_from_implausible(rows: list[FixRow]) -> int:
    """Raise the device alert for devices of the batch whose impossible jumps reached the threshold.
    Cheap when no row is flagged."""
    flagged: dict[int, FixRow] = {}
    for row in rows:
        if row.implausible:
            flagged[row.device_id] = row  # the latest row of the batch per device names the wearer
    if not flagged:
        return 0
    r = rules()
    if r.implausible_fix_alert_count == 0:
        return 0  # alerts switched off; the fixes are still flagged and counted
    window = dt.timedelta(minutes=r.implausible_fix_alert_window_minutes)
    now = timezone.now()
    raised = 0
    for device_id, row in flagged.items():
        # Counted by fix time over the (device, fix_time) index: a back-filled batch counts in its own time.
        count = Position.objects.filter(
            device_id=device_id, fix_time__gte=row.fix.fix_time - window, fix_time__lte=row.fix.fix_time,
            implausible=True,
        ).count()  # fmt: skip
        if count < r.implausible_fix_alert_count:
            continue
        device = Device.objects.select_related("jurisdiction").get(pk=device_id)
        recent = Alert.objects.unresolved().filter(
            kind=AlertKind.IMPLAUSIBLE_FIXES, device_id=device_id, last_seen_at__gte=now - window
        )
        if recent.exists():
            continue  # this window is already counted on the open alert
        person = Person.objects.filter(pk=row.person_id).first() if row.person_id else None
        raise_alert(
            kind=AlertKind.IMPLAUSIBLE_FIXES, severity=Severity.MEDIUM, person=person, device=device,
            subject=f"device:{device_id}", at=now,
            details={"device": device_id, "count": count, "window_minutes": r.implausible_fix_alert_window_minutes,
                     "fix_time": row.fix.fix_time.isoformat()},
        )  # fmt: skip
        raised += 1
    return raised
