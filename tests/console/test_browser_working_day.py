"""A 司法所 officer's working day in a real browser, through the UI only, end to end: register a person,
open the correction case and record the intake report, set up the team, propose an electronic-location order
(Art. 29) that the county head approves in another browser, provision the tag for the person in one flow
(refused before the approval, with the reason), draw the home zone on the map — and the tag's fixes, sent
to the real gateway over TCP with the code the console showed once, are evaluated against the drawn zone:
a fix outside raises the zone alert the officer then sees.

Each step's own refusals and pages are tested in their files (test_browser_registration, _cases, _orders,
_devices, _zones); this test proves they join up into one day's work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from geopy.distance import geodesic
from playwright.sync_api import Browser, Page, expect

from backend.core.models import Role
from backend.monitoring.models import Alert, Device, LocationOrder, Zone
from backend.people.models import Case, Person
from tests.conftest import make_user
from tests.console import test_browser
from tests.console.test_browser_zones import draw, open_editor, save
from tests.people import factories
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page, shots, sign_in, wait_for = (
    test_browser.browser, test_browser.page, test_browser.shots, test_browser.sign_in, test_browser.wait_for,
)  # fmt: skip

TERMINAL = "13800138055"  # the tag's JT/T 808 terminal phone (synthetic)
HOME = (30.2741, 120.1551)  # the residence point typed at registration (WGS-84, synthetic)


def register(tab: Page, number: str) -> Person:
    tab.goto("/console/people/")
    tab.click("#person-new")
    tab.fill("#name", "测试周某")
    tab.fill("#id_number", number)
    expect(tab.locator("#id_number-live")).to_contain_text("校验通过")
    tab.fill("#residence_address", "演示县东城路8号（测试）")
    tab.fill("[name='residence_point.lat']", str(HOME[0]))  # where the zone editor will open
    tab.fill("[name='residence_point.lon']", str(HOME[1]))
    tab.fill("[name='phones.0.number']", "13800003333")
    tab.click("#person-save")
    expect(tab.locator(".flash.success")).to_have_text("已建档")
    return Person.objects.get()  # the only one: names are encrypted, not searchable by a query


def open_case_and_report(tab: Page, person: Person) -> Case:
    today = timezone.localdate()
    tab.click("a[data-open-case=correction]")
    tab.select_option("#sentence_type", "02")
    tab.fill("#crime", "测试罪名")
    tab.fill("#court", "演示县人民法院")
    tab.fill("#judgment_effective_on", (today - dt.timedelta(days=5)).isoformat())
    tab.fill("#term_start", (today - dt.timedelta(days=5)).isoformat())
    tab.fill("#term_end", (today + dt.timedelta(days=360)).isoformat())
    tab.click("#case-form button[type=submit]")
    expect(tab.locator(".flash.success")).to_have_text("已新建社区矫正案件")
    case = Case.objects.get(person=person)
    tab.locator(f'#cases .case-buttons[data-case="{case.pk}"] a[data-action=report]').click()
    tab.click("#transition-form button[type=submit]")
    expect(tab.locator(".flash.success")).to_have_text("已办理「报到」")
    return case


def set_up_team(tab: Page, person: Person, case: Case, officer_id: int) -> None:
    tab.goto(f"/console/people/{person.pk}/")
    tab.click(f'#team a[data-team="{case.pk}"]')
    tab.select_option("#role", "leader")
    tab.select_option("#user_id", str(officer_id))
    tab.select_option("#gender", "male")
    tab.click("#member-form button[type=submit]")
    expect(tab.locator(".flash.success")).to_have_text("已添加小组成员")
    tab.click("#activate-form button")
    expect(tab.locator(".flash.success")).to_have_text("小组已启用")


def provision_tag(tab: Page, person: Person) -> None:
    tab.goto(f"/console/people/{person.pk}/")
    tab.click("#person-provision-device")
    tab.select_option("#kind", "tag")
    tab.select_option("#protocol", "jt808")
    tab.fill("#identifier", TERMINAL)
    tab.fill("#label", "脚环（测试）")
    tab.click("#provision-form button[type=submit]")


def test_an_officers_working_day_from_registration_to_a_zone_alert_from_the_tag_goes_through_the_console_alone(
    page: Page, browser: Browser, live_server, tree, officers, tmp_path
):
    make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    sign_in(page, "owner")

    person = register(page, factories.make_id(dt.date(1988, 4, 9)))
    case = open_case_and_report(page, person)
    set_up_team(page, person, case, officers.owner.pk)

    # A tag before any order: refused with the reason, no device left behind.
    provision_tag(page, person)
    expect(page.locator(".errors-top")).to_contain_text("电子定位决定（社区矫正法第二十九条）")
    assert not Device.objects.exists()

    # The order proposed here, approved by the head in another browser.
    page.goto(f"/console/people/{person.pk}/")
    page.click("#propose-order")
    page.select_option("#ground", "2")
    page.fill("#facts", "未经批准离开本县三日（测试）")
    page.click("#order-form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("待县级司法行政部门负责人批准")
    order = LocationOrder.objects.get(person=person)
    assert not LocationOrder.objects.in_force(timezone.localdate()).exists()
    head = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                               viewport={"width": 1280, "height": 800})  # fmt: skip
    head.set_default_timeout(15_000)
    desk = head.new_page()
    sign_in(desk, "head_a")
    expect(desk.locator("#orders-awaiting")).to_contain_text("电子定位提请待批准：1 件")
    desk.click("#orders-awaiting a")
    desk.locator(f"#order-proposal-{order.pk} .approve-form button[type=submit]").click()
    expect(desk.locator(".flash.success")).to_contain_text(f"已批准第 {order.pk} 号电子定位")
    head.close()

    # Now the tag: provisioned and bound in one step; the auth code shown once.
    provision_tag(page, person)
    expect(page.locator("#credential")).to_be_visible()
    auth_code = page.locator("#credential").inner_text().strip()
    tag = Device.objects.get(person=person)
    assert tag.kind == "tag"

    # The home zone drawn on the map, which opens on the residence: a circle around the map's centre.
    open_editor(page, person.pk)
    draw(page, "circle", [(0, 0), (100, 0)], finish=None)
    save(page, "居住地（测试）", "inclusion")
    home = Zone.objects.get(person=person, name="居住地（测试）")
    g = home.geometry
    assert geodesic((g["lat"], g["lon"]), HOME).meters < 5 and 50 < g["radius_m"] < 1000
    shots(page, "working-day-person")

    # The tag reports through the real gateway: inside, then twice 1 km outside → the zone alert.
    away = geodesic(meters=g["radius_m"] + 1000).destination((g["lat"], g["lon"]), 90)
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"], phone="0" + TERMINAL)
        assert terminal.authenticate(auth_code) == 0  # the code the console showed once
        now = timezone.now().replace(microsecond=0)
        assert terminal.location(now - dt.timedelta(seconds=150), g["lat"], g["lon"]) == 0
        for seconds in (-90, -30):
            assert terminal.location(now + dt.timedelta(seconds=seconds), away.latitude, away.longitude) == 0
        terminal.close()
        wait_for(lambda: Alert.objects.filter(kind="zone_exit", subject=f"zone:{home.pk}").exists(), 20)
    alert = Alert.objects.get(kind="zone_exit")
    assert alert.person_id == person.pk

    page.goto("/console/")
    expect(page.locator("#my-alerts")).to_contain_text("测试周某")
    page.goto(f"/console/alerts/{alert.pk}/")
    expect(page.locator("body")).to_contain_text("居住地（测试）")
