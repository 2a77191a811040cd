"""The console in a real browser (Debian's chromium through Playwright) against the live test server and
the real gateway process: an officer signs in; a captured JT/T 808 strap-cut report sent over TCP becomes
an alert that the dashboard shows by itself; the officer acknowledges and resolves it, approves a leave
request and downloads the monthly statistics.  A colleague of another 司法所 gets 404 for the person page.
Screenshots of every page go to tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect, sync_playwright

from backend.monitoring.models import Alert, AlertState
from backend.supervision.models import LeaveState
from gps_gateway.protocols.jt808.frames import parse_header, unescape
from tests.conformance.captures import CAPTURES
from tests.conftest import PASSWORD
from tests.console import world as w
from tests.support.gateway import Jt808Terminal, running_gateway
from tests.support.processes import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ARTIFACTS = ROOT / "tests" / "artifacts"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


def captured_strap_cut(when: dt.datetime) -> bytes:
    """The body of a real 0x0200 report from a tag whose vendor status extra says the strap was cut
    (device-captures/jt808.tsv), with its time made current so that the gateway's age filter keeps it."""
    for line in (CAPTURES / "jt808.tsv").read_text().splitlines()[1:]:
        _, payload, expectation = line.split("\t")
        if expectation == 'attribute alarm="removing"':
            break
    frame = unescape(bytes.fromhex(payload)[1:-1])
    body = frame[parse_header(frame).header_length : -1]
    # alarm, status, lat, lon (4 bytes each), altitude, speed, course (2 each), then BCD[6] China time
    return body[:22] + bytes.fromhex(when.astimezone(SHANGHAI).strftime("%y%m%d%H%M%S")) + body[28:]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still
    # synchronous, so Django's async-safety check would refuse them without this.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})  # fmt: skip
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 360, "height": 740}


def shots(tab: Page, name: str) -> None:
    """``console-<name>-desktop.png`` and ``-phone.png`` without reloading (a shown-once page stays shown);
    the page must not scroll sideways on the phone."""
    tab.set_viewport_size(DESKTOP)
    tab.screenshot(path=str(ARTIFACTS / f"console-{name}-desktop.png"), full_page=True)
    tab.set_viewport_size(PHONE)
    tab.screenshot(path=str(ARTIFACTS / f"console-{name}-phone.png"), full_page=True)
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], name
    tab.set_viewport_size(DESKTOP)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def sign_in(page: Page, username: str, *, screenshot: bool = False) -> None:
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    if screenshot:
        shot(page, "01-login")
    page.click("button[type=submit]")
    expect(page.locator("#my-alerts")).to_be_visible()
    # The body shows before the script at its end has run; on a busy machine a test could act first.
    page.wait_for_function(
        "() => window.Anbang !== undefined"
    )  # a function: a string would be eval, refused by the CSP


def wait_for(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_officer_handles_a_strap_cut_from_the_gateway_and_approves_a_leave(
    page, tree, officers, settings, tmp_path
):
    settings.CONSOLE_REFRESH_SECONDS = 1  # the dashboard's auto-refresh, fast enough to watch
    world = w.build(tree, officers)
    sign_in(page, "owner", screenshot=True)
    expect(page.locator("#my-alerts")).to_contain_text("暂无待办告警")
    expect(page.locator("#approvals-waiting")).to_contain_text(f"外出申请 {world.leave.pk}")
    shot(page, "02-dashboard-quiet")

    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"], phone=w.TERMINAL_PHONE)
        assert terminal.authenticate(world.auth_code) == 0  # the code the provisioning form showed once
        serial = terminal.send(0x0200, captured_strap_cut(timezone.now()))
        assert terminal.general_result(serial, 0x0200) == 0  # acknowledged after commit
        terminal.close()
        wait_for(lambda: Alert.objects.filter(kind="tamper").exists())
    alert = Alert.objects.get(kind="tamper")
    assert alert.person == world.person and alert.severity == "critical"

    # Nobody reloads: the dashboard fetches its body again and the alert appears with its countdown.
    row = page.locator(f'#my-alerts tr[data-alert="{alert.pk}"]')
    expect(row).to_contain_text("设备拆除/防拆报警")
    expect(row).to_contain_text("测试张三")
    expect(row.locator(".countdown")).to_contain_text("剩余")
    expect(page.locator("#board div.red")).to_contain_text("测试张三")  # an open critical alert makes red
    shot(page, "03-dashboard-alert")

    row.locator("a", has_text="设备拆除/防拆报警").click()
    expect(page.locator("h1")).to_contain_text(f"告警 {alert.pk}")
    expect(page.locator("#alert-map")).to_have_attribute("data-ready", "1")  # the fix, drawn with the zone
    expect(page.locator("#alert-map")).to_have_attribute("data-zones", "1")
    expect(page.locator("#alert-map canvas")).to_be_attached()  # drawn on a canvas: cheap on old PCs
    shot(page, "04-alert-open")
    page.fill("#ack-form textarea[name=note]", "已电话联系本人（测试）")
    page.click("#ack-form button")
    expect(page.locator(".flash.success")).to_have_text("已签收")
    expect(page.locator("#alert-state")).to_have_text("已签收")
    page.select_option("#resolve-form select[name=resolution]", "handled")
    page.fill("#resolve-form textarea[name=note]", "到场核实，脚环完好，重新佩戴（测试）")
    page.click("#resolve-form button")
    expect(page.locator("#alert-state")).to_have_text("已办结")
    expect(page.locator("#timeline")).to_contain_text("到场核实，脚环完好，重新佩戴（测试）")
    shot(page, "05-alert-resolved")
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_by == officers.owner
    assert alert.acknowledged_by == officers.owner and alert.resolution == "handled"

    page.goto("/console/approvals/")
    leave_row = page.locator(f"#leave-{world.leave.pk}")
    expect(leave_row).to_contain_text("测试市测试路 1 号")
    shot(page, "06-approvals")
    leave_row.locator(".approve-form input[name=note]").fill("同意（测试）")
    leave_row.locator(".approve-form button").click()
    expect(page.locator(".flash.success")).to_have_text(f"已批准第 {world.leave.pk} 号外出申请")
    world.leave.refresh_from_db()
    assert world.leave.state == LeaveState.APPROVED and world.leave.decided_by == officers.owner

    page.goto(f"/console/people/{world.person.pk}/")
    expect(page.locator("#id-number")).to_have_text(world.person.id_number)
    expect(page.locator("#alerts")).to_contain_text("已办结")
    expect(page.locator("#person-map")).to_have_attribute("data-ready", "1")
    shot(page, "07-person")
    page.goto("/console/people/")
    expect(page.locator("#people")).to_contain_text("测试张三")
    shot(page, "08-people")
    page.goto("/console/devices/")
    expect(page.locator("#device-list")).to_contain_text("脚环一号")
    shot(page, "09-devices")
    page.goto("/console/alerts/?state=resolved")
    shot(page, "10-alerts")


def test_a_colleague_of_another_office_gets_404_for_the_person_page(page, tree, officers):
    world = w.build(tree, officers)
    sign_in(page, "colleague")
    response = page.goto(f"/console/people/{world.person.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    shot(page, "11-colleague-404")


def test_an_unattended_dashboard_stops_refreshing_and_hides_names_after_the_idle_timeout(
    page, tree, officers, settings
):
    settings.CONSOLE_REFRESH_SECONDS = 600  # a few refreshes in the skipped half hour, not sixty
    w.build(tree, officers)
    page.clock.install()
    sign_in(page, "owner")
    expect(page.locator("#board")).to_contain_text("测试张三")
    page.clock.fast_forward(f"{settings.SESSION_IDLE_MINUTES + 11}:00")  # nobody touches mouse or keys
    expect(page.locator("#dashboard-body")).to_contain_text("长时间未操作，页面内容已隐藏")
    expect(page.locator("#dashboard-body")).not_to_contain_text("测试张三")
    shot(page, "13-dashboard-idle")


def test_the_map_shifts_wgs84_to_gcj02_for_display_by_the_published_vectors(page, officers):
    sign_in(page, "owner")
    convert = "([lat, lon]) => window.Anbang.wgs84ToGcj02(lat, lon)"
    for wgs, gcj, tolerance in (
        ((39.915, 116.404), (39.91640428150164, 116.41024449916938), 1e-6),
        ((39.891082, 116.396135), (39.89248436758296, 116.40237600938156), 1e-6),
        ((39.90105, 116.42079), (39.90245, 116.42703), 1e-5),  # Beijing railway station
    ):
        lat, lon = page.evaluate(convert, list(wgs))
        assert abs(lat - gcj[0]) < tolerance and abs(lon - gcj[1]) < tolerance, (wgs, lat, lon)
    assert page.evaluate(convert, [48.8566, 2.3522]) == [48.8566, 2.3522]  # outside China: unchanged


def test_the_reports_page_downloads_the_monthly_statistics_pdf(page, tree, officers):
    w.build(tree, officers)
    sign_in(page, "owner")
    page.goto("/console/reports/")
    month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    expect(page.locator("#monthly-form input[name=month]")).to_have_value(month)
    page.select_option("#monthly-form select[name=jurisdiction]", tree.township_a1.code)
    shot(page, "12-reports")
    with page.expect_download() as info:
        page.click("#monthly-form button")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", download.path(), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "甲一司法所" in text and month[:4] in text
