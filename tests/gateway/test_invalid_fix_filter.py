"""An invalid GNSS fix with no accuracy estimate is refused (``invalid_no_fallback``); the same fix valid
is stored, and so is an invalid one whose accuracy says how far off it may be."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, GatewayStats, Position
from gps_gateway.devices import DeviceInfo
from gps_gateway.filters import FilterLimits
from gps_gateway.ingest import prepare
from gps_gateway.protocols.common import Fix
from gps_gateway.stats import GatewayCounters
from tests.support.gateway import authenticated_terminal, running_gateway

PHONE = "013800138001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_an_invalid_fix_without_accuracy_is_acknowledged_counted_and_not_stored(tmp_path, tree):
    Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0")
    )
    when = timezone.now().replace(microsecond=0)
    with running_gateway(tmp_path) as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], PHONE)
        assert terminal.location(when, 30.1, 120.2, valid=False) == 0
        assert not Position.objects.exists()  # acknowledged, so anything to store would be committed
        assert terminal.location(when, 30.1, 120.2) == 0
        terminal.close()
    assert list(Position.objects.values_list("fix_time", "valid")) == [(when, True)]
    assert GatewayStats.objects.get().counters["rejected"] == {"invalid_no_fallback": 1}


def rows_for(fix: Fix) -> tuple[int, dict]:
    counters = GatewayCounters()
    device = DeviceInfo(1, "osmand", "x", "", None, "")
    rows = prepare([fix], device, fix.fix_time, counters, FilterLimits())
    return len(rows), dict(counters.rejected)


def test_an_invalid_fix_is_kept_only_when_it_carries_an_accuracy_estimate():
    when = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    invalid = {"fix_time": when, "latitude": 30.1, "longitude": 120.2, "valid": False}
    assert rows_for(Fix(**invalid)) == (0, {"invalid_no_fallback": 1})
    assert rows_for(Fix(**invalid, accuracy_m=40)) == (1, {})
    assert rows_for(Fix(**{**invalid, "valid": True})) == (1, {})
