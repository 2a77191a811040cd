"""Due-item handlers and planners, one module per area; importing this package registers them (apps.ready)."""

from backend.supervision.handlers import calendar, checkins, leave_sanctions  # noqa: F401
