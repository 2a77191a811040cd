"""Detectors that look at time rather than at a fix: signal lost, and suspected absconding.

They are sweeps (``run_detectors``), called by the scheduler ([Supervision]) every minute and by
``manage.py run_detectors`` meanwhile.  Each raises alerts through ``raise_alert``, so a condition that
persists across sweeps stays one alert with a growing count.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from backend.core.rules import rules
from backend.monitoring.actions.alerts import escalate_due, raise_alert
from backend.monitoring.models import Alert, AlertKind, Device, Severity
from backend.people.models import Case, CaseKind, SubStatus


def signal_limit(kind: str) -> dt.timedelta:
    minutes = rules().signal_lost_minutes_phone if kind == "phone" else rules().signal_lost_minutes_tag
    return dt.timedelta(minutes=minutes)


def detect_signal_lost(now: dt.datetime | None = None) -> int:
    """Devices worn or carried by someone that have not reported within their expected interval."""
    now = now or timezone.now()
    raised = 0
    earliest = now - min(signal_limit("tag"), signal_limit("phone"))
    quiet = Device.objects.filter(person__isnull=False, retired_at__isnull=True).filter(
        Q(last_fix_at__lt=earliest) | Q(last_fix_at__isnull=True, assigned_at__lt=earliest)
    )
    for device in quiet.select_related("person"):
        last = device.last_fix_at or device.assigned_at
        if now - last < signal_limit(device.kind):
            continue
        raise_alert(
            kind=AlertKind.SIGNAL_LOST, severity=Severity.MEDIUM if device.kind == "phone" else Severity.HIGH,
            person=device.person, device=device, subject=f"device:{device.pk}",
            details={"device": device.pk, "last_fix_at": last.isoformat(), "minutes": int((now - last).total_seconds() // 60)},
        )  # fmt: skip
        raised += 1
    return raised


def detect_absconding(now: dt.datetime | None = None) -> int:
    """疑似脱管: out of the permitted area without approved leave, and the signal lost, close together."""
    now = now or timezone.now()
    window = dt.timedelta(minutes=rules().absconding_window_minutes)
    breaches = Alert.objects.unresolved().filter(kind=AlertKind.ZONE_EXIT, last_seen_at__gte=now - window)
    raised = 0
    for breach in breaches.select_related("person", "case", "device"):
        lost = Alert.objects.unresolved().filter(
            person=breach.person, kind=AlertKind.SIGNAL_LOST, opened_at__gte=breach.first_seen_at - window
        )
        if not lost.exists():
            continue
        on_leave = Case.objects.filter(
            person=breach.person, kind=CaseKind.CORRECTION, sub_status=SubStatus.ON_LEAVE
        )
        if on_leave.exists():
            continue  # approved leave (外出): the area rules are its own; not absconding
        signal = lost.select_related("device").first()
        raise_alert(
            kind=AlertKind.ABSCONDING, severity=Severity.CRITICAL, person=breach.person,
            device=signal.device or breach.device, case=breach.case,
            details={"zone_alert": breach.pk, "signal_alert": signal.pk},
        )  # fmt: skip
        raised += 1
    return raised


def run_detectors(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "signal_lost": detect_signal_lost(now),
        "absconding": detect_absconding(now),
        "escalated": escalate_due(now),
    }
