"""Devices and shared zone layers in a real browser (Chromium through Playwright, against the live test
server), driven through the UI only.  Screenshots at desktop and phone width go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
import zxingcpp  # the dev extra (pyproject.toml)
from PIL import Image  # with reportlab
from playwright.sync_api import Page, expect

from backend.core.models import Role
from backend.monitoring.models import Device, ZoneLayer
from tests.conftest import make_user
from tests.console import test_browser
from tests.people import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page = test_browser.browser, test_browser.page  # the same fixtures
ARTIFACTS = test_browser.ARTIFACTS
DESKTOP, PHONE, shots = test_browser.DESKTOP, test_browser.PHONE, test_browser.shots
WAIT = 15_000  # ms; expect()'s own default is 5 s, short on a busy two-core machine


def decoded_qr(tab: Page) -> list[str]:
    """What a phone's camera reads off the QR code as the browser drew it."""
    path = ARTIFACTS / "console-device-issued-qr.png"
    tab.locator("#setup-qr svg").screenshot(path=str(path))
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(path))]


def test_an_officer_provisions_an_osmand_phone_for_a_person_in_one_flow_sees_its_identifier_once_with_a_qr_code_and_a_tag_without_an_order_is_refused(
    page, tree, officers
):
    wearer = factories.person(officers.owner, tree.township_a1, name="测试手机人")
    no_order = factories.person(officers.owner, tree.township_a1, name="测试无决定")
    errors: list[str] = []  # a CSP refusal (an inline style in the SVG, say) shows up here
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    test_browser.sign_in(page, "owner")

    # From the person page: 登记并绑定设备, an OsmAnd phone (the identifier is the system's).
    page.goto(f"/console/people/{wearer.pk}/")
    page.click("#person-provision-device")
    expect(page.locator("#provision-person")).to_contain_text("测试手机人", timeout=WAIT)
    page.select_option("#kind", "phone")
    page.select_option("#protocol", "osmand")
    page.fill("#label", "本人手机")
    page.click("#provision-form button[type=submit]")

    expect(page.locator("#credential")).to_have_text(re.compile(r"^[0-9a-f]{20}$"), timeout=WAIT)
    identifier = page.locator("#credential").inner_text()
    device = Device.objects.get(label="本人手机")
    assert device.person_id == wearer.pk and device.protocol == "osmand"
    setup = page.locator("#setup-text").inner_text()
    assert setup.endswith(f"/?id={identifier}") and setup.startswith("http://")
    assert decoded_qr(page) == [setup]  # the phone reads the server URL and the identifier
    shots(page, "device-issued")

    # Reloading does not show it again: only its hash is kept.
    page.reload()
    expect(page.locator(".flash")).to_contain_text("只在登记后显示一次", timeout=WAIT)
    expect(page.locator("#credential")).to_have_count(0, timeout=WAIT)
    assert identifier not in page.content()
    expect(page.locator("#device-person")).to_contain_text("测试手机人", timeout=WAIT)
    shots(page, "device")

    # A wearable tag for someone without an approved order in force is refused, with the reason.
    page.goto(f"/console/people/{no_order.pk}/")
    page.click("#person-provision-device")
    page.select_option("#kind", "tag")
    page.select_option("#protocol", "jt808")
    page.fill("#identifier", "13800138077")
    page.click("#provision-form button[type=submit]")
    expect(page.locator(".errors-top")).to_contain_text("电子定位决定（社区矫正法第二十九条）", timeout=WAIT)
    expect(page.locator("#identifier")).to_have_value("13800138077")  # as typed
    shots(page, "device-new")
    assert not Device.objects.filter(identifier="13800138077").exists()
    assert [e for e in errors if "status of 422" not in e] == []  # the refusal's own 422 aside


def test_a_county_officer_creates_a_shared_layer_and_assigns_three_people_at_once(page, tree, officers):
    make_user("county_officer", tree.county_a, Role.COUNTY_OFFICER)
    people = [
        factories.person(officers.owner, tree.township_a1, name="测试甲一"),
        factories.person(officers.owner, tree.township_a1, name="测试甲二"),
        factories.person(officers.colleague, tree.township_a2, name="测试甲三"),
    ]
    elsewhere = factories.person(officers.outsider, tree.township_b1, name="测试乙县")
    test_browser.sign_in(page, "county_officer")

    page.goto("/console/zone-layers/")
    page.select_option("#jurisdiction_id", str(tree.county_a.pk))
    page.fill("#name", "全县中小学（禁入）")
    page.click("#layer-form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("已新建图层", timeout=WAIT)
    layer = ZoneLayer.objects.get(name="全县中小学（禁入）")
    expect(page.locator("#layer-new-zone")).to_be_visible(timeout=WAIT)

    # Tick two (the filter narrows the list), paste the third's ID number — and one of another county.
    page.wait_for_selector("#candidate-filter[data-ready]")  # layers.js has hooked the filter
    page.fill("#candidate-filter", "测试甲二")
    expect(page.locator("#layer-candidates li:visible")).to_have_count(1, timeout=WAIT)
    page.check(f"#layer-candidates input[value='{people[1].pk}']")
    page.fill("#candidate-filter", "甲一司法所")  # by office: the ticked one stays in view
    expect(page.locator("#layer-candidates li:visible")).to_have_count(2, timeout=WAIT)
    page.check(f"#layer-candidates input[value='{people[0].pk}']")
    page.fill("#id_numbers", f"{people[2].id_number}\n{elsewhere.id_number}")
    page.click("#layer-assign-form button[type=submit]")
    expect(page.locator("#id_numbers-error")).to_contain_text(
        "第 2 个证件号码未找到或不在您的查看范围内", timeout=WAIT
    )
    assert layer.persons.count() == 0  # refused whole, not partly
    shots(page, "zone-layer-refused")

    page.fill("#id_numbers", people[2].id_number)
    page.click("#layer-assign-form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("已将 3 人加入图层", timeout=WAIT)
    for person in people:
        expect(page.locator("#layer-members")).to_contain_text(person.name, timeout=WAIT)
    assert set(layer.persons.values_list("pk", flat=True)) == {p.pk for p in people}
    shots(page, "zone-layer")
    page.goto("/console/zone-layers/")
    expect(page.locator("#layer-list")).to_contain_text("全县中小学（禁入）", timeout=WAIT)
    shots(page, "zone-layers")
