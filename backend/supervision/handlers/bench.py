"""The benchmark's own kind: finishing is the whole effect (bench/scheduler.py measures the sweep)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from backend.supervision.due import finish, handler
from backend.supervision.models import DueItem, DueKind


@handler(DueKind.BENCH)
def handle_bench(items: list[DueItem], now: dt.datetime) -> None:
    with transaction.atomic():
        finish(items, "ok", now)
