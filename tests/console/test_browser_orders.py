"""Electronic location orders in a real browser (Chromium through Playwright, against the live test server),
driven through the UI only: a 司法所 officer proposes an order from the person page; the county head, in
another browser, finds it in the approvals queue with what he approves (ground, facts, term, the person's
file summary) and approves it, and the officer's page shows it in force.  A second proposal is refused with
a reason: the officer's page shows the refusal and the reason, and the inbox holds the notice.  Screenshots at
desktop and phone width go to tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from backend.core.models import Role
from backend.monitoring.models import LocationOrder
from backend.people.actions.transitions import transition_case
from notifications import sender
from tests.conftest import make_user
from tests.console import test_browser
from tests.console.test_browser import shots
from tests.people import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page = test_browser.browser, test_browser.page  # the same fixtures


def subject(tree, officers, name: str):
    today = timezone.localdate()
    person = factories.person(officers.owner, tree.township_a1, name=name)
    case = factories.correction(officers.owner, person, judgment_effective_on=today - dt.timedelta(days=30),
                                term_start=today - dt.timedelta(days=30))  # fmt: skip
    return transition_case(
        by=officers.owner, case=case, action="report", effective_on=today - dt.timedelta(days=25)
    )


def propose(tab: Page, person_id: int, facts: str, *, screenshot: str = "") -> LocationOrder:
    tab.goto(f"/console/people/{person_id}/")
    tab.click("#propose-order")
    tab.select_option("#ground", "2")
    tab.fill("#facts", facts)
    if screenshot:
        shots(tab, screenshot)
    tab.click("#order-form button[type=submit]")
    expect(tab.locator(".flash.success")).to_contain_text("待县级司法行政部门负责人批准")
    return LocationOrder.objects.filter(person_id=person_id).latest("id")


def test_the_officer_proposes_an_order_the_county_head_approves_it_in_another_browser_and_a_second_is_refused_with_a_reason(
    page: Page, browser: Browser, live_server, tree, officers
):
    first_case = subject(tree, officers, "测试赵六")
    second_case = subject(tree, officers, "测试钱七")
    make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    test_browser.sign_in(page, "owner")
    first = propose(page, first_case.person_id, "未经批准离开本县三日（测试一）", screenshot="order-new")
    expect(page.locator(f"#order-{first.pk}")).to_contain_text("待批准")
    assert not LocationOrder.objects.in_force(timezone.localdate()).exists()  # not in force until approved

    head = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                               viewport={"width": 1280, "height": 800})  # fmt: skip
    head.set_default_timeout(15_000)
    desk = head.new_page()
    test_browser.sign_in(desk, "head_a")
    desk.goto("/console/approvals/")
    row = desk.locator(f"#order-proposal-{first.pk}")
    for shown in ("测试赵六", "未经批准离开本县三日（测试一）", first_case.number, "近 90 日告警 0 次",
                  first.starts_on.isoformat(), first.ends_on.isoformat()):  # fmt: skip
        expect(row).to_contain_text(shown)
    shots(desk, "approvals-orders")
    row.locator(".approve-form button[type=submit]").click()
    expect(desk.locator(".flash.success")).to_contain_text(f"已批准第 {first.pk} 号电子定位")
    expect(desk.locator(f"#order-proposal-{first.pk}")).to_have_count(0)

    page.goto(f"/console/people/{first_case.person_id}/")
    expect(page.locator(f"#order-{first.pk}")).to_contain_text("已批准")
    expect(page.locator(f"#order-{first.pk}")).to_contain_text("执行中")
    assert list(LocationOrder.objects.in_force(timezone.localdate())) == [first]
    shots(page, "person-orders")

    second = propose(page, second_case.person_id, "拒不报告活动情况（测试二）")
    desk.goto("/console/approvals/")
    refuse = desk.locator(f"#order-proposal-{second.pk} .refuse-form")
    refuse.locator("input[name=reason]").fill("事实不清，请补充材料（测试）")
    refuse.locator("button[type=submit]").click()
    expect(desk.locator(".flash.success")).to_contain_text("已不予批准")
    head.close()

    page.goto(f"/console/people/{second_case.person_id}/")
    expect(page.locator(f"#order-{second.pk}")).to_contain_text("不予批准")
    expect(page.locator(f"#order-{second.pk}")).to_contain_text("事实不清，请补充材料（测试）")
    while sender.handle_batch():  # the sender loop's work, done here
        pass
    page.goto("/api/v1/inbox")
    (message,) = json.loads(page.locator("body").inner_text())["items"]
    assert "电子定位提请未获批准" in message["title"] and f"第 {second.pk} 号" in message["body"]
    assert "测试钱七" not in message["body"]
