"""Every console page on a 360 px phone (an officer checking a person on a home visit) and on a desktop: no
page scrolls sideways, tables collapse into one card per row, and a screenshot of each page at both widths
goes to tests/artifacts/ (``console-page-<name>-phone.png`` / ``-desktop.png``).

The pages come from Django's URL resolver, not from a list kept by hand: a page added later is walked too,
and a page whose URL parameter this test cannot fill fails it (add the parameter to ``arguments``)."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import sync_playwright

from backend.console.models import ImportJob
from backend.core.models import User
from backend.monitoring.models import ZoneLayer
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import SanctionSuggestion
from tests.conftest import PASSWORD
from tests.console import world as w
from tests.people import factories
from tests.support.processes import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Files rather than pages (a route answering only POST is found by its 405 and skipped).
NOT_PAGES = re.compile(r"(\.xlsx|\.csv|/progress|/check-id)$")


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
    owner = User.objects.get(username="owner")
    # a shared zone layer of the office (the layer pages, views/layers.py), with the person on it
    layer = (
        world.zone.layer_id
        or ZoneLayer.objects.create(jurisdiction=world.person.jurisdiction, name="测试图层").pk
    )
    ZoneLayer.objects.get(pk=layer).persons.add(world.person)
    return {
        "person_id": world.person.pk, "alert_id": alert.pk, "device_id": world.tag.pk, "case_id": world.case.pk,
        "zone_id": world.zone.pk, "leave_id": world.leave.pk, "order_id": world.order.pk,
        "layer_id": layer or 0, "team_id": getattr(getattr(world.case, "team", None), "pk", 0),
        # supervision: a suggestion of the sanction rules, to accept or dismiss (views/supervision/sanctions.py)
        "suggestion_id": SanctionSuggestion.objects.create(case=world.case, kind="praise", rule="test").pk,
        # approvals: a 司法所's warning, a proposal for the county (views/approval_decisions.py)
        # transfer: an import's dry-run report (views/transfer.py), the owner's own
        "job_id": ImportJob.objects.create(
            owner=User.objects.get(username="owner"), filename="人员.xlsx", state="invalid", total=1,
            report=[{"row": 2, "column": "证件号码", "message": "身份证号码校验位错误，请核对"}],
        ).pk,
        "aftercare_case_id": factories.aftercare(
            owner, factories.person(owner, world.person.jurisdiction, name="测试帮教", birth=dt.date(1980, 1, 2))
        ).pk,
        "mental_health_case_id": factories.mental_health(
            owner, factories.person(owner, world.person.jurisdiction, name="测试患者", birth=dt.date(1985, 5, 6), female=True)
        ).pk,
        "sanction_id": record_sanction(
            by=User.objects.get(username="owner"), case=world.case, kind="warning", reason="测试"
        ).pk,
    }  # fmt: skip


# Pages for one kind of case only: filled with a case of that kind (another person of the same office).
KIND_PAGES = {"placements": "aftercare_case_id", "emergencies": "mental_health_case_id"}


def fill(pattern: str, values: dict[str, int]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(2)
        for word, key in KIND_PAGES.items():
            if name == "case_id" and word in pattern:
                name = key
        # A parameter not known here is 0: an action behind it answers 405 to GET and is skipped; a page
        # answers 404 and fails the test — add the parameter to ``arguments``.
        return str(values.get(name, 0))

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
    assert f"/console/people/{world.person.pk}/" in paths
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
            if page.request.get(path, max_redirects=0).status == 405:
                continue  # an action (POST only), not a page
            response = page.goto(path)
            assert response.status in (200, 403), (
                path,
                response.status,
                "a parameter missing in arguments()?",
            )
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
