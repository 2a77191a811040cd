"""A zone alert's page as the county officer reads it (issue #23, item 12): the timeline says when the person is
back, the page names the breached zone and how far outside the last confident fix was, and the map is
told which zone to open on."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from backend.monitoring.actions.zones import create_zone
from backend.monitoring.models import Alert, AlertEvent, Position
from backend.monitoring.zone_watch import ZoneCache, ZoneEvaluator
from gps_gateway.protocols.common import Fix
from gps_gateway.rows import FixRow
from tests.console import world as w
from tests.monitoring.test_zone_watch import HOME, at_distance

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(world: w.World, start: dt.datetime, points, *, accuracy: float = 10) -> None:
    """Store the fixes as the gateway does and hand them to the zone evaluator, as its post-commit hook."""
    rows = []
    for i, (lat, lon) in enumerate(points):
        at = start + dt.timedelta(seconds=30 * i)
        Position.objects.create(device=world.tag, person=world.person, fix_time=at, received_at=at, valid=True,
                                source="gnss", point=[lat, lon], accuracy_m=accuracy)  # fmt: skip
        fix = Fix(fix_time=at, latitude=lat, longitude=lon, valid=True, accuracy_m=accuracy)
        rows.append(FixRow(world.tag.pk, world.person.pk, fix, timezone.now(), late=False))
    ZoneEvaluator(ZoneCache(refresh_seconds=0))(rows)


@pytest.fixture
def world(tree, officers):
    return w.build(tree, officers)


@pytest.fixture
def home(world, tree, officers):
    return create_zone(
        by=officers.owner, jurisdiction=tree.township_a1, person=world.person, kind="inclusion",
        name="居住地一公里（测试）", geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000},
    )  # fmt: skip


def out_and_back(world) -> Alert:
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=20)
    send(world, start, [at_distance(2000), at_distance(2100)])
    send(world, start + dt.timedelta(minutes=5), [at_distance(100), at_distance(120)])
    return Alert.objects.get(kind="zone_exit")


def timeline(html: str) -> str:
    return re.search(r'<ul class="timeline" id="timeline">(.*?)</ul>', html, re.S).group(1)


def map_data(html: str) -> dict:
    return json.loads(re.search(r'<script id="alert-map-data" type="application/json">(.*?)</script>', html,
                                re.S).group(1))  # fmt: skip


def test_coming_back_writes_a_note_that_says_the_person_is_back(world, home, officers):
    alert = out_and_back(world)
    back = AlertEvent.objects.get(alert=alert, kind="note")
    assert back.note == "已返回允许区域" and back.details["zone"] == home.pk
    events = timeline(as_user(officers.owner).get(f"/console/alerts/{alert.pk}/").content.decode())
    assert "已返回允许区域：居住地一公里（测试）" in events


def test_leaving_an_exclusion_zone_says_the_person_has_left_it(world, officers):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=20)
    centre = (30.2, 120.2)  # the world's 300 m exclusion circle
    send(world, start, [centre, centre])
    send(world, start + dt.timedelta(minutes=5), [at_distance(1000, 0, centre)] * 2)
    alert = Alert.objects.get(kind="zone_entry")
    assert AlertEvent.objects.get(alert=alert, kind="note").note == "已离开禁止区域"


def test_a_return_note_written_before_it_had_a_text_still_says_so(world, home, officers):
    alert = out_and_back(world)
    AlertEvent.objects.filter(alert=alert, kind="note").update(note=None, details={"violation_ended_at": "x"})
    events = timeline(as_user(officers.owner).get(f"/console/alerts/{alert.pk}/").content.decode())
    assert "已返回区域" in events


def test_the_alert_page_names_the_breached_zone_and_how_far_outside_the_last_confident_fix_was(
    world, home, officers
):
    alert = out_and_back(world)
    html = as_user(officers.owner).get(f"/console/alerts/{alert.pk}/").content.decode()
    breach = re.search(r'<dd id="breach">(.*?)</dd>', html, re.S).group(1)
    assert "居住地一公里（测试）" in breach and "允许区域" in breach
    assert re.search(r"距区域边界\s*1100\s*米", breach), breach  # the fix 2,100 m from the centre of 1,000 m
    data = map_data(html)
    assert data["focus"] == home.pk and home.pk in [z["id"] for z in data["zones"]]


def test_the_alert_page_says_how_deep_inside_an_exclusion_zone_the_last_fix_was(world, officers):
    start = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=20)
    centre = (30.2, 120.2)
    send(world, start, [at_distance(100, 0, centre), at_distance(50, 0, centre)])
    alert = Alert.objects.get(kind="zone_entry")
    html = as_user(officers.owner).get(f"/console/alerts/{alert.pk}/").content.decode()
    breach = re.search(r'<dd id="breach">(.*?)</dd>', html, re.S).group(1)
    assert "测试娱乐场所" in breach and re.search(r"区域内\s*250\s*米", breach), breach


def test_the_alert_page_names_the_case_and_the_device(world, home, officers):
    alert = out_and_back(world)
    html = as_user(officers.owner).get(f"/console/alerts/{alert.pk}/").content.decode()
    assert f'<dd id="alert-case">{world.case}</dd>' in html
    assert "脚环一号" in re.search(r'<dd id="alert-device">(.*?)</dd>', html, re.S).group(1)
