"""A JT/T 808 0x0704 batch upload of an excursion the tag stored while offline, over real sockets: it counts
once on the open zone alert with a timeline entry, and the same batch sent again counts nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from geopy.distance import geodesic

from backend.monitoring.models import Alert, AlertEvent, Device, Zone
from gps_gateway.simulate import jt808_location_body
from tests.gateway.test_jt808_sessions import order_in_force
from tests.people import factories
from tests.support.gateway import authenticated_terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"
HOME = (30.1, 120.2)


def north(metres: float) -> tuple[float, float]:
    point = geodesic(meters=metres).destination(HOME, 0)
    return point.latitude, point.longitude


def batch(fixes: list[tuple[dt.datetime, tuple[float, float]]]) -> bytes:
    items = [jt808_location_body(when, *point) for when, point in fixes]
    return len(items).to_bytes(2, "big") + b"\x01" + b"".join(len(i).to_bytes(2, "big") + i for i in items)


def test_a_back_filled_excursion_counts_once_with_a_timeline_entry(tmp_path, tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    order_in_force(factories.correction(officers.owner, person))
    Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0"), person=person,
        assigned_at=timezone.now() - dt.timedelta(days=1),
    )  # fmt: skip
    Zone.objects.create(
        name="居住地（测试）", kind="inclusion", jurisdiction=tree.township_a1, person=person,
        geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000},
    )  # fmt: skip
    now = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)
    earlier = now - dt.timedelta(hours=2)
    stored = [(earlier + dt.timedelta(minutes=k), north(2000)) for k in range(3)]
    stored += [(earlier + dt.timedelta(minutes=3 + k), north(100)) for k in range(2)]
    with running_gateway(tmp_path) as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], PHONE)
        for k in range(3):
            assert terminal.location(now + dt.timedelta(minutes=k), *north(2000)) == 0
        for k in range(3, 5):
            assert terminal.location(now + dt.timedelta(minutes=k), *north(100)) == 0
        assert Alert.objects.get().occurrences == 1
        assert terminal.general_result(terminal.send(0x0704, batch(stored)), 0x0704) == 0
        assert terminal.general_result(terminal.send(0x0704, batch(stored)), 0x0704) == 0  # sent again
        terminal.close()
    alert = Alert.objects.get()
    assert (alert.kind, alert.occurrences) == ("zone_exit", 2)
    [entry] = AlertEvent.objects.filter(alert=alert, kind="repeated")
    local = timezone.localtime(stored[1][0]).strftime("%Y-%m-%d %H:%M:%S")
    assert entry.note == f"补传定位再次越界（离开允许区域），定位时间 {local}"
