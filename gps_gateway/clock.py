"""The gateway's clock: aware UTC datetimes, what the backend's ``timezone.now()`` gives under USE_TZ."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """``django.utils.timezone.now()`` under USE_TZ (the backend requires it), without its settings lookup."""
    return dt.datetime.now(dt.UTC)
