"""What alerts add to the three-colour board (backend/people/colour.py): an unresolved critical alert makes
a person red, any unresolved alert at least yellow.  Added at start (``MonitoringConfig.ready``)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from backend.monitoring.models import Alert, Severity


def open_alerts() -> tuple[Exists, Exists]:
    """(makes red, makes at least yellow) for the person of the outer query."""
    unresolved = Alert.objects.unresolved().filter(person=OuterRef("pk"))
    return Exists(unresolved.filter(severity=Severity.CRITICAL)), Exists(unresolved)
