"""A fix that jumps impossibly far from the device's last plausible fix is acknowledged and stored flagged
``implausible`` — shown on the device, counted, never judged against zones nor drawn as track — and a device
that keeps doing it (a spoofed position or a broken receiver) raises a device alert."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from backend.monitoring.models import Alert, Device, GatewayStats, Position, Zone
from tests.gateway.test_jt808_sessions import order_in_force
from tests.people import factories
from tests.support.gateway import authenticated_terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"
HOME = (30.1, 120.2)
FAR = (40.1, 120.2)  # 1,100 km north: minutes away only at more than 1,000 km/h


@pytest.fixture
def worn_tag(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    order_in_force(case)
    tag = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0"),
        person=person, assigned_at=timezone.now() - dt.timedelta(days=1),
    )  # fmt: skip
    Zone.objects.create(
        name="居住地（测试）", kind="inclusion", jurisdiction=tree.township_a1, person=person,
        geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 2000},
    )  # fmt: skip
    return tag


def start() -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)


def test_an_impossible_jump_is_acknowledged_stored_flagged_counted_and_not_judged_against_zones(
    tmp_path, worn_tag, officers, api
):
    t0 = start()
    with running_gateway(tmp_path) as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], PHONE)
        assert terminal.location(t0, *HOME) == 0
        # Two fixes far outside the home zone: two live fixes outside would open a zone_exit alert.
        assert terminal.location(t0 + dt.timedelta(seconds=1), *FAR) == 0
        assert terminal.location(t0 + dt.timedelta(seconds=20), *FAR) == 0
        assert (
            terminal.location(t0 + dt.timedelta(minutes=1), HOME[0] + 0.001, HOME[1]) == 0
        )  # back: plausible
        terminal.close()
    rows = list(Position.objects.order_by("fix_time").values_list("implausible", flat=True))
    assert rows == [False, True, True, False]
    assert not Alert.objects.filter(kind__in=("zone_exit", "zone_entry")).exists()
    counters = GatewayStats.objects.get().counters
    assert counters["flagged"] == {"impossible_jump": 2} and "impossible_jump" not in counters["rejected"]
    period = {
        "from": (t0 - dt.timedelta(minutes=1)).isoformat(),
        "to": (t0 + dt.timedelta(hours=1)).isoformat(),
    }
    page = api(officers.owner).client.get(
        f"/api/v1/devices/{worn_tag.pk}/positions", period, headers=api(officers.owner).headers
    )
    assert [p["implausible"] for p in page.json()["items"]] == [False, True, True, False]


def test_a_device_that_keeps_jumping_raises_one_device_alert_per_window(tmp_path, worn_tag):
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps({"implausible_fix_alert_count": 3, "implausible_fix_alert_window_minutes": 30})
    )
    t0 = start()
    with running_gateway(tmp_path, ANBANG_RULES_FILE=str(rules)) as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], PHONE)
        assert terminal.location(t0, *HOME) == 0
        for k in range(1, 3):
            assert terminal.location(t0 + dt.timedelta(seconds=k), *FAR) == 0
        assert not Alert.objects.exists()  # two jumps: stored and counted, not yet an alert
        for k in range(3, 7):
            assert terminal.location(t0 + dt.timedelta(seconds=k), *FAR) == 0
        terminal.close()
    alert = Alert.objects.get()
    assert (alert.kind, alert.device_id, alert.person_id, alert.occurrences) == (
        "implausible_fixes",
        worn_tag.pk,
        worn_tag.person_id,
        1,
    )
    assert alert.details["device"] == worn_tag.pk and alert.details["count"] == 3
    assert alert.details["window_minutes"] == 30
