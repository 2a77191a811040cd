"""Cases and teams in a real browser (Chromium through Playwright, against the live test server), driven
through the UI only: an officer opens a correction case for a person already on file, records the intake
report (报到) with the button the state machine offers, sets up the correction team (activation refused
until the female subject's team has a woman), and a transition the rules refuse shows its reason.
Screenshots of each new page at desktop and phone width go to tests/artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.people.models import Case
from tests.console import test_browser
from tests.people import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page = test_browser.browser, test_browser.page  # the same fixtures
ARTIFACTS = test_browser.ARTIFACTS
DESKTOP, PHONE, shots = test_browser.DESKTOP, test_browser.PHONE, test_browser.shots


def test_an_officer_opens_a_correction_case_records_the_report_and_sets_up_the_team_through_the_ui(
    page, tree, officers
):
    today = timezone.localdate()
    person = factories.person(officers.owner, tree.township_a1, name="测试王芳", female=True)
    test_browser.sign_in(page, "owner")

    # The person is already on file: open a correction case from their page.
    page.goto(f"/console/people/{person.pk}/")
    page.click("a[data-open-case=correction]")
    expect(page.locator("h1")).to_contain_text("新建社区矫正案件")
    page.select_option("#sentence_type", "02")
    page.fill("#crime", "测试罪名")
    page.fill("#court", "演示县人民法院")
    page.fill("[name='judgment.number']", "（2026）测刑初字第7号")
    page.fill("#judgment_effective_on", (today - dt.timedelta(days=3)).isoformat())
    page.fill("#term_start", (today - dt.timedelta(days=3)).isoformat())
    page.fill("#term_end", (today - dt.timedelta(days=10)).isoformat())  # before the start: refused
    page.fill("#prohibition_orders", "禁止进入娱乐场所（测试）")
    page.click("#case-form button[type=submit]")
    expect(page.locator("#term_end-error")).to_have_text("矫正终止日期必须晚于起始日期")
    expect(page.locator("#crime")).to_have_value("测试罪名")  # the rest as typed
    shots(page, "case-new")
    page.fill("#term_end", (today + dt.timedelta(days=362)).isoformat())
    page.click("#case-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已新建社区矫正案件")
    case = Case.objects.get(person=person)
    assert case.status == "pending_report"

    # The buttons are the edges allowed now: 报到 and 终止, not 解除.
    buttons = page.locator(f'#cases .case-buttons[data-case="{case.pk}"]')
    expect(buttons.locator("a[data-action=report]")).to_have_text("报到")
    expect(buttons.locator("a[data-action=release]")).to_have_count(0)
    buttons.locator("a[data-action=report]").click()
    expect(page.locator("#transition-form h2")).to_have_text("报到")
    page.fill("#note", "本人持判决书到所报到（测试）")
    shots(page, "case-transitions")
    page.click("#transition-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已办理「报到」")
    expect(page.locator("#cases")).to_contain_text("在矫")
    expect(page.locator("#cases")).to_contain_text("严管")  # a new subject starts strict
    shots(page, "person-cases")

    # A transition the rules refuse says why: the term has not ended.
    page.locator(f'#cases .case-buttons[data-case="{case.pk}"] a[data-action=end_term]').click()
    page.click("#transition-form button[type=submit]")
    expect(page.locator(".errors-top")).to_contain_text("尚未期满")
    shots(page, "case-transition-refused")
    case.refresh_from_db()
    assert case.status == "active"

    # The team: a leader alone is not enough for a woman's team.
    page.goto(f"/console/people/{person.pk}/")
    page.click(f'#team a[data-team="{case.pk}"]')
    expect(page.locator("#team-unmet")).to_contain_text("女性对象的小组须有女性成员")
    page.select_option("#role", "leader")
    page.select_option("#user_id", str(officers.owner.pk))
    page.select_option("#gender", "male")
    page.click("#member-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已添加小组成员")
    page.click("#activate-form button")
    expect(page.locator(".flash.error")).to_contain_text("小组不能启用：女性对象的小组须有女性成员")
    expect(page.locator("#team-active")).to_have_text("未启用")
    page.select_option("#role", "family")
    page.fill("#name", "测试母亲")
    page.fill("#phone", "13900000001")
    page.select_option("#gender", "female")
    page.click("#member-form button[type=submit]")
    expect(page.locator("#team-members")).to_contain_text("测试母亲")
    page.click("#activate-form button")
    expect(page.locator(".flash.success")).to_have_text("小组已启用")
    expect(page.locator("#team-active")).to_contain_text("已启用")
    shots(page, "case-team")

    # The case's other pages: correcting particulars and the category history.
    page.click(".case-nav a[href$='/edit']")
    expect(page.locator("[name='details.court']")).to_have_value("演示县人民法院")
    shots(page, "case-edit")
    page.click(".case-nav a[href$='/marks']")
    expect(page.locator("#mark-history")).to_contain_text("入矫初期严管")
    shots(page, "case-marks")


def test_the_aftercare_and_mental_health_record_pages_fit_a_phone(page, tree, officers):
    person = factories.person(officers.owner, tree.township_a1, name="测试赵六")
    aftercare = factories.aftercare(officers.owner, person)
    mental = factories.mental_health(officers.owner, person, risk_level=2)
    test_browser.sign_in(page, "owner")
    page.goto(f"/console/cases/{aftercare.pk}/placements")
    page.select_option("#kind", "job")
    page.fill("#start_on", timezone.localdate().isoformat())
    page.fill("#note", "测试工厂")
    page.click("#placement-form button[type=submit]")
    expect(page.locator("#placement-history")).to_contain_text("测试工厂")
    shots(page, "case-placements")
    page.goto(f"/console/cases/{mental.pk}/emergencies")
    shots(page, "case-emergencies")
    page.goto(f"/console/people/{person.pk}/cases/new?kind=mental_health")
    shots(page, "case-new-mental-health")
