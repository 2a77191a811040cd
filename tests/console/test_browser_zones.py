"""The zone editor in a real browser (Chromium, Playwright) on GCJ-02 tiles: an officer draws a circle, a
polygon and a corridor with Leaflet-Geoman's own tools by clicking on the map, is refused when nothing is
drawn, saves, and sees the zones on the person's page; what is stored is WGS-84 — shifted to GCJ-02 again it
lands within 0.5 m of where the officer clicked; then the real gateway receives two JT/T 808 fixes outside
the drawn home circle and the zone watch raises the zone exit.  No CSP violation on the way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from geopy.distance import geodesic
from playwright.sync_api import Page, expect

from backend.monitoring.models import Alert, Zone
from tests.console import test_browser
from tests.console import world as w
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page, shot, sign_in, wait_for = (
    test_browser.browser, test_browser.page, test_browser.shot, test_browser.sign_in, test_browser.wait_for,
)  # fmt: skip

# Published WGS-84 → GCJ-02 pairs (the same vectors as test_browser's forward test).
VECTORS = (
    ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    ((39.891082, 116.396135), (39.89248436758296, 116.40237600938156)),
)
HALF_METRE = 0.5
CLICK_SLACK_M = 3.0  # where a click lands against where it was aimed: a pixel or two at zoom 16–17


def map_point(tab: Page, dx: float, dy: float) -> tuple[float, float, list[float]]:
    """A point ``dx, dy`` pixels from the map's centre: page coordinates (inside the map's border), and the
    [lat, lng] the map shows there (GCJ-02 on these tiles)."""
    return tab.evaluate(
        """([dx, dy]) => {
          const map = window.Anbang.maps["zone-map"], el = map.getContainer(), box = el.getBoundingClientRect();
          const left = box.left + el.clientLeft, top = box.top + el.clientTop;  // mouse events come in whole pixels
          const px = Math.round(left + map.getSize().x / 2 + dx), py = Math.round(top + map.getSize().y / 2 + dy);
          const at = map.containerPointToLatLng([px - left, py - top]);
          return [px, py, [at.lat, at.lng]];
        }""",
        [dx, dy],
    )


def drawn(tab: Page) -> list[list[float]]:
    """The [lat, lng] (GCJ-02) of the shape Geoman holds: a circle's centre, a polygon's or a line's vertices."""
    return tab.evaluate("""() => {
        const layer = window.Anbang.maps["zone-map"].pm.getGeomanDrawLayers().pop();
        const points = layer.getLatLng ? [layer.getLatLng()] : layer.getLatLngs().flat(2);
        return points.map((p) => [p.lat, p.lng]);
    }""")


def to_gcj(tab: Page, lat: float, lon: float) -> list[float]:
    return tab.evaluate("([lat, lon]) => window.Anbang.wgs84ToGcj02(lat, lon)", [lat, lon])


def metres(a, b) -> float:
    return geodesic(tuple(a), tuple(b)).meters


def draw(tab: Page, tool: str, offsets: list[tuple[int, int]], *, finish: tuple[int, int] | None) -> list:
    """Pick a Geoman tool and click the map at each offset (then once more at ``finish``, Geoman's way of
    closing a polygon or ending a line); returns the GCJ-02 [lat, lng] of each click."""
    tab.click(f"#zone-map .leaflet-pm-icon-{tool}")
    clicked = []
    for dx, dy in offsets:
        x, y, latlng = map_point(tab, dx, dy)
        tab.mouse.move(x - 3, y - 3)
        tab.mouse.click(x, y)
        clicked.append(latlng)
    if finish is not None:
        x, y, _ = map_point(tab, *finish)
        tab.mouse.move(x - 2, y - 2)
        tab.mouse.click(x, y)
    return clicked


def open_editor(tab: Page, person_id: int) -> None:
    tab.goto(f"/console/people/{person_id}/zones/new")
    expect(tab.locator("#zone-map")).to_have_attribute("data-editor", "ready")


def save(tab: Page, name: str, kind: str) -> None:
    tab.fill("#name", name)
    tab.select_option("#kind", kind)
    tab.click("#save-zone")
    expect(tab.locator(".flash.success")).to_have_text("已保存区域")


def test_an_officer_draws_a_circle_a_polygon_and_a_corridor_on_gcj02_tiles_and_a_fix_outside_raises_the_zone_alert(
    page, tree, officers, settings, tmp_path
):
    settings.CONSOLE_TILE_CRS = "gcj02"  # AMap-style tiles: the map shows GCJ-02, the database keeps WGS-84
    world = w.build(tree, officers)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    sign_in(page, "owner")

    # The inverse transform: published vectors back to WGS-84, and round trips, within half a metre.
    for wgs, gcj in VECTORS:
        back = page.evaluate("([lat, lon]) => window.Anbang.gcj02ToWgs84(lat, lon)", list(gcj))
        assert metres(back, wgs) < HALF_METRE, (gcj, back)
    worst = page.evaluate("""() => { let worst = 0;
        for (let i = 0; i < 400; i++) {
          const lat = 18 + (i * 0.0937) % 35, lon = 74 + (i * 0.1931) % 60;
          const g = window.Anbang.wgs84ToGcj02(lat, lon), w = window.Anbang.gcj02ToWgs84(g[0], g[1]);
          worst = Math.max(worst, Math.abs(w[0] - lat), Math.abs(w[1] - lon));
        } return worst; }""")
    assert worst * 111_320 < 0.01  # degrees → metres, generously: under a centimetre

    # A circle: refused while nothing is drawn, then drawn with Geoman's circle tool and saved.
    open_editor(page, world.person.pk)
    page.fill("#name", "居住地（测试）")
    page.click("#save-zone")
    expect(page.locator("#geometry-error")).to_be_visible()  # 422: nothing drawn, said beside the map
    expect(page.locator("#zone-map")).to_have_attribute("data-editor", "ready")
    centre, rim = draw(page, "circle", [(-300, -60), (-200, -60)], finish=None)
    expect(page.locator("#shape-summary")).to_contain_text("圆形")
    [at] = drawn(page)
    assert metres(at, centre) < CLICK_SLACK_M
    shot(page, "zone-editor-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, "zone-editor-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    save(page, "居住地（测试）", "inclusion")
    home = Zone.objects.get(name="居住地（测试）")
    g = home.geometry
    assert g["type"] == "circle"
    assert metres(to_gcj(page, g["lat"], g["lon"]), at) < HALF_METRE
    assert g["radius_m"] == pytest.approx(metres(centre, rim), abs=1.0)

    # A polygon (the exclusion zone around a bar), closed by clicking its first vertex again.
    open_editor(page, world.person.pk)
    corners = [(150, -150), (300, -150), (300, 0), (150, 0)]
    clicked = draw(page, "polygon", corners, finish=corners[0])
    expect(page.locator("#shape-summary")).to_contain_text("多边形：4 个顶点")
    vertices = drawn(page)
    assert all(metres(a, b) < CLICK_SLACK_M for a, b in zip(vertices, clicked, strict=True))
    save(page, "酒吧（测试）", "exclusion")
    ring = Zone.objects.get(name="酒吧（测试）").geometry["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    for (lon, lat), want in zip(ring, vertices, strict=False):
        assert metres(to_gcj(page, lat, lon), want) < HALF_METRE

    # A corridor: a line along the way to work, 60 m either side, ended by clicking its last point again.
    open_editor(page, world.person.pk)
    page.fill("#corridor-width", "60")
    route = [(-300, 150), (0, 150), (0, 250)]
    clicked = draw(page, "polyline", route, finish=route[-1])
    expect(page.locator("#shape-summary")).to_contain_text("走廊：路线 3 个点，两侧各 60 米")
    vertices = drawn(page)
    assert all(metres(a, b) < CLICK_SLACK_M for a, b in zip(vertices, clicked, strict=True))
    page.click("#add-window")  # a third row, numbered by the script: weekday mornings on the way to work
    page.select_option('select[name="schedule.2.weekday"]', "0")
    page.fill('input[name="schedule.2.start"]', "07:00")
    page.fill('input[name="schedule.2.end"]', "09:30")
    save(page, "上班路线（测试）", "inclusion")
    stored = Zone.objects.get(name="上班路线（测试）")
    assert stored.schedule == [{"weekday": 0, "start": "07:00", "end": "09:30"}]
    corridor = stored.geometry
    assert corridor["type"] == "corridor" and corridor["width_m"] == 60
    for (lon, lat), want in zip(corridor["line"], vertices, strict=True):
        assert metres(to_gcj(page, lat, lon), want) < HALF_METRE

    # The person's page draws them all (with the office's exclusion zone) and links to each.
    expect(page.locator("#person-map")).to_have_attribute("data-zones", "4")
    for zone in Zone.objects.filter(person=world.person):
        expect(page.locator(f'a[data-zone="{zone.pk}"]')).to_be_visible()
    shot(page, "zone-person-desktop")

    # Editing loads the circle into Geoman: the form shows it, saved untouched it stays the same.
    page.click(f'a[data-zone="{home.pk}"]')
    expect(page.locator("#shape-summary")).to_contain_text("已画：圆形")
    page.click("#save-zone")
    expect(page.locator(".flash.success")).to_have_text("已保存区域")
    home.refresh_from_db()
    assert home.geometry == g

    # Two fixes 1 km beyond the home circle, through the real gateway: the zone watch raises the exit.
    away = geodesic(meters=g["radius_m"] + 1000).destination((g["lat"], g["lon"]), 270)
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"], phone=w.TERMINAL_PHONE)
        assert terminal.authenticate(world.auth_code) == 0
        now = timezone.now().replace(microsecond=0)
        for seconds in (-90, -30):
            assert terminal.location(now + dt.timedelta(seconds=seconds), away.latitude, away.longitude) == 0
        terminal.close()
        wait_for(lambda: Alert.objects.filter(kind="zone_exit", subject=f"zone:{home.pk}").exists(), 20)

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert [p for p in problems if "status of 422" not in p] == []  # the refusal above is the only one
