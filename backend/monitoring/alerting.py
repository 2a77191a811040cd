"""The alert contract, as packages above monitoring use it: ``raise_alert`` opens an alert (or counts a
repeat of the unresolved one); ``subscribe`` hears of every step an alert reaches, inside its transaction;
``batch`` wraps work that raises many alerts at once.  Callers import this module rather than
``monitoring.actions`` or ``alert_events``, so what stands behind it can move without them."""

from __future__ import annotations

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.alert_events import batch, subscribe

__all__ = ["batch", "raise_alert", "subscribe"]
