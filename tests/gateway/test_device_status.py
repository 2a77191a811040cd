"""The device list shows what the gateway saw: last fix, battery and online status, flushed while it runs."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from backend.monitoring.ingest.directory import DeviceDirectory
from backend.monitoring.models import Device
from tests.gateway.test_osmand_http import request
from tests.support.gateway import running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def provision(client, tree, **body) -> dict:
    return client.post(
        "/api/v1/devices", {"jurisdiction_id": tree.township_a1.pk, "kind": "phone", **body}
    ).json()


def listed(client) -> dict[int, dict]:
    return {d["id"]: d for d in client.get("/api/v1/devices").json()["items"]}


def wait_until_listed_with_a_fix(client, device_id: int, timeout: float = 5) -> dict:
    deadline = time.monotonic() + timeout
    while (row := listed(client)[device_id])["last_fix_at"] is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return row


def test_the_device_list_shows_the_last_fix_battery_and_online_while_the_gateway_runs(
    tmp_path, tree, officers, api
):
    client = api(officers.owner)
    phone = provision(client, tree, protocol="osmand")
    silent = provision(client, tree, protocol="gt06", identifier="864717003283581")
    when = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=30)
    with running_gateway(tmp_path) as gateway:
        query = f"/?id={phone['credential']}&timestamp={int(when.timestamp())}&lat=30.5&lon=120.5&batt=64"
        assert request(gateway.ports["osmand"], "GET", query)[0] == 200
        # Read while the gateway runs: the periodic status flush, not the one at exit.
        row = wait_until_listed_with_a_fix(client, phone["id"])
        assert (row["status"], row["battery_pct"]) == ("online", 64)
        assert dt.datetime.fromisoformat(row["last_fix_at"]) == when
        assert dt.datetime.fromisoformat(row["last_seen_at"]) > when
        never = listed(client)[silent["id"]]
        assert (never["status"], never["last_fix_at"], never["last_seen_at"]) == ("never", None, None)


def test_a_worker_flushing_older_news_of_a_device_does_not_turn_its_last_fix_or_battery_back(tree):
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier="13800138001"
    )
    left, joined = DeviceDirectory(), DeviceDirectory()  # the workers a device left and reconnected to
    left.refresh(), joined.refresh()
    now = timezone.now()
    for directory, when, battery in ((joined, now, 40), (left, now - dt.timedelta(minutes=1), 55)):
        seen = directory.get("jt808", "13800138001")
        seen.last_seen, seen.newest_fix, seen.battery_pct, seen.dirty = when, when, battery, True
        directory.flush_status()  # the worker it left flushes last
    device.refresh_from_db()
    assert (device.last_seen_at, device.last_fix_at, device.battery_pct) == (now, now, 40)
