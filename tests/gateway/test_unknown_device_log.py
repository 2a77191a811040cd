"""Unknown devices are all counted but logged at most once per protocol per interval, never by identifier."""

from __future__ import annotations

import logging
import time

import pytest

from backend.monitoring.models import GatewayStats
from gps_gateway.sessions.common import UnknownDeviceLog
from gps_gateway.simulate import gt06_login
from gps_gateway.stats import GatewayCounters
from tests.gateway.test_imei_protocols import exchange
from tests.support.gateway import running_gateway

UNKNOWN_IMEIS = [f"86471700399{n:04d}" for n in range(6)]


def notices(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "anbang.gateway"]


def test_a_burst_is_logged_once_per_protocol_and_the_next_notice_says_how_many_were_left_out(caplog):
    caplog.set_level(logging.WARNING, logger="anbang.gateway")
    counters = GatewayCounters()
    log = UnknownDeviceLog(counters, interval=0.3)
    for n in range(5):
        log.note("gt06", f"10.0.0.{n}:4000")
    log.note("jt808", "10.0.0.9:4000")
    assert notices(caplog) == [
        "gateway: unknown gt06 device from 10.0.0.0:4000 refused (0 more since last notice)",
        "gateway: unknown jt808 device from 10.0.0.9:4000 refused (0 more since last notice)",
    ]
    time.sleep(0.35)
    log.note("gt06", "10.0.0.7:4000")
    assert (
        notices(caplog)[-1]
        == "gateway: unknown gt06 device from 10.0.0.7:4000 refused (4 more since last notice)"
    )
    assert counters.unknown_devices == {"gt06": 6, "jt808": 1}  # every one counted, logged or not


def test_the_default_interval_is_ten_seconds():
    assert UnknownDeviceLog(GatewayCounters()).interval == 10.0


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_unknown_gt06_imeis_are_each_counted_and_logged_once_without_the_imei(tmp_path, tree):
    with running_gateway(tmp_path) as gateway:
        for imei in UNKNOWN_IMEIS:
            assert exchange(gateway.ports["gt06"], gt06_login(imei), expect=None, timeout=3) == b""
    output = gateway.output()
    assert output.count("unknown gt06 device") == 1
    assert not [imei for imei in UNKNOWN_IMEIS if imei in output]
    assert GatewayStats.objects.get().counters["unknown_devices"] == {"gt06": len(UNKNOWN_IMEIS)}
