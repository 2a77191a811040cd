"""Every console page on a 360 px phone (an officer checking a person on a home visit) and on a desktop: no
page scrolls sideways, tables collapse into one card per row, and a screenshot of each page at both widths
goes to tests/artifacts/ (``console-page-<name>-phone.png`` / ``-desktop.png``).

The pages come from Django's URL resolver, not from a list kept by hand: a page added later is walked too,
and a URL parameter this test cannot fill fails it (add the parameter to ``ARGUMENTS``)."""

from __future__ import annotations

import os
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import sync_playwright

from tests.conftest import PASSWORD
from tests.console import world as w
from tests.support.processes import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Pages that answer only a POST, or a file rather than a page.
NOT_PAGES = re.compile(
    r"(acknowledge|assign|resolve|approve|reject|grant|decline|renew|end|reset-registration"
    r"|refuse|withdraw|cancel|return|remedy|accept|dismiss|transitions|unassign|revoke"
    r"|deactivate|remove|activate|check-id|\.xlsx|\.csv|template|export|progress|status)$"
)


def console_pages() -> list[str]:
    """Every route under /console/ as a pattern string, e.g. ``console/people/<int:person_id>/``."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))

    walk(get_resolver().url_patterns, "")
    return sorted(p for p in found if p.startswith("console/") and not NOT_PAGES.search(p.rstrip("/")))


def arguments(world: w.World, alert) -> dict[str, int]:
    """What fills each URL parameter: the small office of tests/console/world.py."""
    layer = world.zone.layer_id
    return {
        "person_id": world.person.pk, "alert_id": alert.pk, "device_id": world.tag.pk, "case_id": world.case.pk,
        "zone_id": world.zone.pk, "leave_id": world.leave.pk, "order_id": world.order.pk,
        "layer_id": layer or 0, "team_id": getattr(getattr(world.case, "team", None), "pk", 0),
    }  # fmt: skip


def fill(pattern: str, values: dict[str, int]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(2)
        assert name in values, f"{pattern}: add the parameter {name!r} to tests/console/test_phone_layout.py"
        return str(values[name])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", one, pattern)


@pytest.fixture
def chromium():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread; the ORM is sync
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_every_console_page_fits_a_360_px_phone_without_sideways_scrolling(
    chromium, live_server, tree, officers
):
    world = w.build(tree, officers)
    values = arguments(world, w.open_alert(world))
    paths = [fill(p, values) for p in console_pages()]
    assert "/console/people/{}/".format(world.person.pk) in paths
    too_wide, collapsed = [], 0
    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context = chromium.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN",
                                       timezone_id="Asia/Shanghai", is_mobile=suffix == "phone")  # fmt: skip
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/login/")
        page.fill("#username", "owner")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        for path in paths:
            response = page.goto(path)
            assert response.status in (200, 403), (path, response.status)
            page.wait_for_function("() => window.Anbang !== undefined")
            name = path.strip("/").removeprefix("console").strip("/").replace("/", "-")
            name = re.sub(r"\d+", "n", name) or "dashboard"
            page.screenshot(path=str(ARTIFACTS / f"console-page-{name}-{suffix}.png"), full_page=True)
            if suffix == "phone":
                width = page.evaluate("() => document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    too_wide.append((path, width))
                collapsed += page.evaluate(
                    "() => Array.from(document.querySelectorAll('table.collapsing tbody tr'))"
                    ".filter(tr => getComputedStyle(tr).display === 'block').length"
                )
        context.close()
    assert too_wide == []
    assert collapsed > 0  # the tables with headings became cards
