"""The console's maps in a real browser open on the whole zone, not on a circle's centre (issue #23, item 12):
the alert map on the breached zone and the fixes, the person map on every zone and the track."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from geopy.distance import geodesic
from playwright.sync_api import Page, expect

from backend.monitoring.models import Alert
from tests.conftest import PASSWORD
from tests.console import test_browser
from tests.console import world as w
from tests.console.test_alert_page import send
from tests.monitoring.test_zone_watch import HOME, at_distance

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page, shot = test_browser.browser, test_browser.page, test_browser.shot  # the same fixtures


def extent(lat: float, lon: float, radius_m: float) -> list[list[float]]:
    """A circle's bounding box as [[south, west], [north, east]]."""
    south, north = (geodesic(meters=radius_m).destination((lat, lon), b) for b in (180, 0))
    west, east = (geodesic(meters=radius_m).destination((lat, lon), b) for b in (270, 90))
    return [[south.latitude, west.longitude], [north.latitude, east.longitude]]


def sign_in(tab: Page, username: str) -> None:
    tab.goto("/login/")
    tab.fill("#username", username)
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit]")
    expect(tab.locator("#my-alerts")).to_be_visible()


def shows(tab: Page, map_id: str, box: list[list[float]]) -> bool:
    return tab.evaluate("([id, box]) => window.Anbang.maps[id].getBounds().contains(box)", [map_id, box])


def test_the_alert_map_opens_on_the_whole_breached_zone_and_the_person_map_on_every_zone(
    page, tree, officers
):
    from backend.monitoring.actions.zones import create_zone

    world = w.build(tree, officers)
    create_zone(
        by=officers.owner, jurisdiction=tree.township_a1, person=world.person, kind="inclusion",
        name="居住地一公里（测试）", geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000},
    )  # fmt: skip
    send(world, timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10),
         [at_distance(1300), at_distance(1350)])  # fmt: skip
    alert = Alert.objects.get(kind="zone_exit")
    sign_in(page, "owner")

    page.goto(f"/console/alerts/{alert.pk}/")
    expect(page.locator("#alert-map")).to_have_attribute("data-ready", "2")
    expect(page.locator("#breach")).to_contain_text("居住地一公里（测试）")
    shot(page, "14-alert-zone-exit")
    assert shows(page, "alert-map", extent(*HOME, 1000))  # the whole home circle, its south side too
    assert not shows(page, "alert-map", extent(30.2, 120.2, 300))  # not zoomed out to every zone

    page.goto(f"/console/people/{world.person.pk}/")
    expect(page.locator("#person-map")).to_have_attribute("data-ready", "2")
    assert shows(page, "person-map", extent(*HOME, 1000))
    assert shows(page, "person-map", extent(30.2, 120.2, 300))  # the exclusion circle, whole
