"""Every stats interval the gateway logs one line: the rate of stored fixes and the running counts."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from backend.monitoring.models import Device
from gps_gateway.protocols.gt06.frames import build_reply
from gps_gateway.simulate import gt06_location
from tests.gateway.test_imei_protocols import GT06_IMEI, GT06_LOGIN, GT06_LOGIN_REPLY, exchange
from tests.support.gateway import running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

STATS_LINE = re.compile(
    r"gateway: \d+ fixes/s stored=(\d+) dup=\d+ rejected=\d+ malformed=\d+ unknown=\d+ conns=\d+"
)


def stored_counts_logged(output: str) -> list[int]:
    return [int(stored) for stored in STATS_LINE.findall(output)]


def test_the_stats_line_reports_fixes_per_second_and_what_was_stored(tmp_path, tree):
    Device.objects.create(jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier=GT06_IMEI)
    when = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    with running_gateway(tmp_path) as gateway:
        answers = GT06_LOGIN_REPLY + build_reply(0x12, 10)
        location = gt06_location(when, 30.25, 120.125, serial=10)
        assert exchange(gateway.ports["gt06"], GT06_LOGIN + location, expect=len(answers)) == answers
        deadline = time.monotonic() + 5  # stats every second under running_gateway
        while 1 not in stored_counts_logged(gateway.output()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert 1 in stored_counts_logged(gateway.output()), gateway.output()[-2000:]
