"""One rule says when a device is online (``backend/monitoring/queries.py``): the device lists of the API and
the console filter by it, the dashboard counts offline devices by it, and each row shows its status by it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.monitoring.models import Device
from backend.monitoring.queries import DEVICE_STATUSES, ONLINE_MINUTES, device_status_q, online_since

pytestmark = pytest.mark.django_db


def test_the_status_filter_finds_exactly_the_devices_whose_row_shows_that_status(tree):
    now = timezone.now()
    heard = {
        "just now": now,
        "on the limit": now - dt.timedelta(minutes=ONLINE_MINUTES),
        "a second past it": now - dt.timedelta(minutes=ONLINE_MINUTES, seconds=1),
        "yesterday": now - dt.timedelta(days=1),
        "never": None,
    }
    devices = [
        Device.objects.create(
            jurisdiction=tree.township_a1,
            kind="tag",
            protocol="gt06",
            identifier=f"86471700328358{n}",
            label=label,
            last_seen_at=seen,
        )
        for n, (label, seen) in enumerate(heard.items())
    ]
    by_row = {status: set() for status in DEVICE_STATUSES}
    for device in devices:
        by_row[device.status(now)].add(device.label)
    by_filter = {
        status: set(
            Device.objects.filter(device_status_q(status, online_since(now))).values_list("label", flat=True)
        )
        for status in DEVICE_STATUSES
    }
    assert by_filter == by_row
    assert by_row == {
        "online": {"just now", "on the limit"},
        "offline": {"a second past it", "yesterday"},
        "never": {"never"},
    }
