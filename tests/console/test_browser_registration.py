"""Registration (建档), particulars and access grants in a real browser (Chromium through Playwright, against
the live test server), driven through the UI only.  Screenshots of each new page at desktop and phone width
go to tests/artifacts/ (``console-person-new-*.png``, ``console-person-edit-*.png``,
``console-person-grants-*.png``)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from backend.core.errors import Invalid
from backend.core.models import Role
from backend.people.idcard import check_character, parse_resident_id
from backend.people.models import AccessGrant, Person
from tests.conftest import make_user
from tests.console import test_browser
from tests.people import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page = test_browser.browser, test_browser.page  # the same fixtures
ARTIFACTS = test_browser.ARTIFACTS
DESKTOP, PHONE, shots = test_browser.DESKTOP, test_browser.PHONE, test_browser.shots


def test_an_officer_registers_a_person_is_warned_of_the_same_number_again_and_edits_the_phone(
    page, tree, officers
):
    number = factories.make_id(dt.date(1985, 6, 1))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    test_browser.sign_in(page, "owner")

    page.goto("/console/people/")
    page.click("#person-new")
    expect(page.locator("h1")).to_have_text("人员建档")
    page.fill("#name", "测试赵某")
    page.fill("#id_number", number[:10])
    expect(page.locator("#id_number-live")).to_have_text("已输入 10 / 18 位")
    page.fill("#id_number", wrong)  # a typo in the check digit: said at once, before any submit
    expect(page.locator("#id_number-live")).to_have_text("身份证号码校验位错误，请核对")
    expect(page.locator("#id_number")).to_have_attribute("aria-invalid", "true")
    page.fill("#id_number", number)
    expect(page.locator("#id_number-live")).to_have_text("校验通过：1985-06-01 出生，男")
    expect(page.locator("#birth_date")).to_have_value("1985-06-01")
    expect(page.locator("#gender")).to_have_value("male")
    expect(page.locator("#id-duplicate")).to_be_hidden()
    page.fill("#residence_address", "演示县东城路1号（测试）")
    page.fill("[name='phones.0.number']", "13800001111")
    page.fill("[name='phones.0.label']", "本人")
    page.click("button[data-add=phones]")
    page.fill("[name='phones.1.number']", "13800002222")
    page.fill("[name='phones.1.label']", "家属")
    page.fill("[name='contacts.0.relation']", "母亲")
    page.fill("[name='contacts.0.name']", "测试钱某")
    shots(page, "person-new")
    page.click("#person-save")

    person = Person.objects.get()
    expect(page).to_have_url(f"{page.url.split('/console/')[0]}/console/people/{person.pk}/")
    expect(page.locator(".flash.success")).to_have_text("已建档")
    expect(page.locator("h1")).to_contain_text("测试赵某")
    expect(page.locator("#identity")).to_contain_text("13800002222（家属）")
    assert person.birth_date == dt.date(1985, 6, 1) and person.gender == "male"

    # The same number again: the form says so while typing, and again on submit, with a link to the file.
    page.goto("/console/people/new")
    page.fill("#name", "测试重复")
    page.fill("#id_number", number)
    expect(page.locator("#id-duplicate")).to_contain_text("该证件号码已建档")
    page.click("#person-save")
    expect(page.locator("#id_number-error")).to_have_text("该证件号码已建档，请通过证件号码查询")
    expect(page.locator("#id-duplicate a")).to_have_attribute("href", f"/console/people/{person.pk}/")
    shots(page, "person-new-duplicate")
    assert Person.objects.count() == 1
    page.click("#id-duplicate a")
    expect(page.locator("h1")).to_contain_text("测试赵某")

    # Edit the particulars: a phone number changes.
    page.click("#person-edit")
    expect(page.locator("h1")).to_have_text("修改档案：测试赵某")
    expect(page.locator("#id_number-live")).to_have_text("校验通过：1985-06-01 出生，男")
    expect(page.locator("#id-duplicate")).to_be_hidden()  # its own number is not a duplicate
    shots(page, "person-edit")
    page.fill("[name='phones.1.number']", "13800003333")
    page.click("#person-save")
    expect(page.locator(".flash.success")).to_have_text("档案已修改")
    expect(page.locator("#identity")).to_contain_text("13800003333（家属）")
    assert sorted(p.number for p in person.phones.all()) == ["13800001111", "13800003333"]


def test_the_county_head_grants_an_officer_access_to_a_minors_file_and_revokes_it(page, tree, officers):
    head = make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    fifteen = dt.date.today().replace(year=dt.date.today().year - 15, month=1, day=2)
    minor = factories.person(officers.owner, tree.township_a1, name="测试少年", birth=fifteen)
    colleague = make_user("officer_a1_b", tree.township_a1, Role.TOWNSHIP_OFFICER)
    test_browser.sign_in(page, head.username)

    page.goto("/console/people/")
    page.fill("#grants-find input[name=person]", str(minor.pk))
    page.click("#grants-find button")
    expect(page.locator("h1")).to_contain_text(f"档案 {minor.pk}")
    expect(page.locator("body")).not_to_contain_text("测试少年")  # the head holds no grant: no particulars
    page.select_option("#user_id", str(colleague.pk))
    page.fill("#reason", "")
    page.fill("#days", "3")
    page.click("#grant-form button[type=submit]")  # no reason: refused beside the field
    expect(page.locator("#reason-error")).to_have_text("必填字段缺失")
    page.fill("#reason", "办理社区矫正（测试）")
    page.click("#grant-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已授权")
    row = page.locator(f"#grants tr[data-grant='{AccessGrant.objects.get(user=colleague).pk}']")
    expect(row).to_contain_text("有效")
    shots(page, "person-grants")
    row.locator("button", has_text="撤销").click()
    expect(page.locator(".flash.success")).to_have_text("已撤销授权")
    expect(row).to_contain_text("已撤销")
    assert AccessGrant.objects.get(user=colleague).revoked_at is not None


def vectors() -> list[str]:
    """Numbers the browser's and the server's checks must judge alike: valid ones (an X check character
    among them, full-width digits, spaces), a wrong check character, impossible and implausible birth dates,
    and wrong shapes."""

    def valid(first17: str) -> str:
        return first17 + check_character(first17)

    found = [valid(f"99010119850601{n:03d}") for n in range(0, 40, 3)]
    with_x = next(n for n in (valid(f"99010119900307{k:03d}") for k in range(200)) if n.endswith("X"))
    good = found[0]
    return [
        *found,
        with_x,
        with_x.lower(),
        good[:6] + " " + good[6:],
        "９９０１０１" + good[6:],
        good[:-1] + ("0" if good[-1] != "0" else "1"),
        valid("99010119850230001"),
        valid("99010118991231001"),
        valid("99010130000101001"),
        valid("99010119851301001"),
        good[:17],
        good + "1",
        good[:10] + "A" + good[11:],
        "",
        "".join(chr(0x660 + int(c)) for c in with_x[:17]) + "X",  # Arabic-Indic digits
    ]


def test_the_browser_checks_an_id_number_exactly_as_the_server_does(page):
    page.goto("/login/")  # any page of this host: the script is loaded as the form loads it
    page.add_script_tag(url="/static/console/idcard.js")
    for number in vectors():
        try:
            parsed = parse_resident_id(number)
            expected = {"ok": True, "birthDate": parsed.birth_date.isoformat(), "gender": parsed.gender}
        except Invalid as exc:
            expected = {"ok": False, "message": exc.message}
        got = page.evaluate("(n) => window.Anbang.idcard.parse(n)", number)
        assert {k: got.get(k) for k in expected} == expected, number
