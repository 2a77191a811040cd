"""The Content-Security-Policy in a real browser (Debian's chromium through Playwright): the console, its
Leaflet maps, the sign-in page and the API's Swagger UI work under it with no violation reported, and it
lets images through from the configured tile server only.  The headers themselves:
tests/core/test_security_headers.py."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.console import world as w
from tests.console.test_browser import browser, page, sign_in  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
# Added to every document before its own scripts: the browser's own report of what the policy refused.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


class ImageServer:
    """A tile server on loopback: answers every GET with a 1×1 PNG and counts the requests."""

    def __init__(self):
        outer = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def watched(page: Page) -> Page:  # noqa: F811 (the fixture imported above)
    page.add_init_script(WATCH)
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    return page


def violations(tab: Page) -> list[str]:
    reported = tab.evaluate("window.__violations || []")
    logged = [m for m in tab.console_messages if "Content Security Policy" in m]
    return reported + logged


def test_the_console_and_its_maps_run_under_the_policy_without_a_violation(watched, tree, officers):
    world = w.build(tree, officers)
    alert = w.open_alert(world)
    watched.goto("/login/")
    # The sign-in page's style is a file now: the policy would have dropped the <style> block.
    expect(watched.locator("body")).to_have_css("background-color", "rgb(244, 246, 248)")
    sign_in(watched, "owner")
    for url in ("/", "/console/alerts/", "/console/approvals/", "/console/devices/", "/console/reports/",
                "/console/devices/new"):  # fmt: skip
        watched.goto(url)
        expect(watched.locator("h1").first).to_be_visible()
        assert violations(watched) == [], url
    watched.goto(f"/console/people/{world.person.pk}/")
    person_map = watched.locator("#person-map")
    expect(person_map).to_have_attribute("data-zones", "1")  # Leaflet ran and drew the zone
    expect(person_map.locator("canvas")).to_be_attached()
    expect(watched.locator("#person-file")).to_have_css("float", "right")  # a class, not a style=""
    assert violations(watched) == []
    watched.goto(f"/console/alerts/{alert.pk}/")
    expect(watched.locator("#alert-map")).to_have_attribute("data-zones", "1")
    assert violations(watched) == []
    watched.goto("/console/people/999999/")
    expect(watched.locator("h1")).to_have_text("页面不存在")
    assert violations(watched) == []


def test_the_api_docs_render_offline_under_the_policy(watched, officers):
    sign_in(watched, "owner")
    requested: list[str] = []
    watched.on("request", lambda request: requested.append(request.url))
    watched.goto("/api/v1/docs")
    expect(watched.locator(".swagger-ui .info .title")).to_contain_text("安帮 API")
    expect(watched.locator(".opblock").first).to_be_visible()  # the operations, from openapi.json
    assert violations(watched) == []
    base = watched.url.split("/api/")[0]
    assert [url for url in requested if not url.startswith((base, "data:"))] == []  # nothing from a CDN


def test_map_tiles_load_from_the_configured_server_and_from_no_other(watched, tree, officers, settings):
    tiles, stranger = ImageServer(), ImageServer()
    try:
        settings.CONSOLE_TILE_URL = f"http://127.0.0.1:{tiles.port}/{{z}}/{{x}}/{{y}}.png"
        world = w.build(tree, officers)
        sign_in(watched, "owner")
        watched.goto(f"/console/people/{world.person.pk}/")
        expect(watched.locator("#person-map .leaflet-tile-loaded").first).to_be_attached()
        assert tiles.requests > 0 and violations(watched) == []
        # Anything else is refused by the browser, even an image a script puts on the page.
        watched.evaluate(
            "url => { const i = new Image(); i.src = url; document.body.appendChild(i); }",
            f"http://127.0.0.1:{stranger.port}/leak.png",
        )
        watched.wait_for_function("() => window.__violations.length > 0")
        assert stranger.requests == 0
        assert any(v.startswith("img-src") for v in violations(watched))
    finally:
        tiles.close()
        stranger.close()
