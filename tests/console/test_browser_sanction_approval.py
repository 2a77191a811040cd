"""Sanction proposals in a real browser (Chromium through Playwright, against the live test server), driven
through the UI: a 司法所 officer proposes a warning from the person page; the county officer, in another
browser, finds it in the approvals queue with the person's file summary, tries to refuse it without a reason
(refused beside the field), refuses it with one; the proposer's inbox holds the notice and its link shows the
reason.  A second warning is approved from the queue and appears in the person's sanctions; a leave
request's page shows the person's file summary.  Screenshots at desktop and phone width go to
tests/artifacts/."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, Page, expect

from backend.core.models import Role
from backend.supervision.models import Sanction
from notifications import sender
from tests.conftest import make_user
from tests.console import test_browser
from tests.console import world as w
from tests.console.test_browser import shots

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page = test_browser.browser, test_browser.page  # the same fixtures


def propose_warning(tab: Page, person_id: int, case_id: int, reason: str) -> Sanction:
    tab.goto(f"/console/people/{person_id}/")
    tab.click(f"#sanction-new-{case_id}")
    tab.select_option("#kind", "warning")
    tab.fill("#reason", reason)
    tab.fill("#basis", "missed_report")
    tab.click("#sanction-form button[type=submit]")
    expect(tab.locator(".flash").first).to_be_visible()
    return Sanction.objects.filter(case_id=case_id, state="proposed").latest("id")


def test_an_office_officer_proposes_a_warning_the_county_refuses_one_with_a_reason_and_approves_another(
    page: Page, browser: Browser, live_server, tree, officers
):
    world = w.build(tree, officers)
    person, case = world.person, world.case
    make_user("county_a_officer", tree.county_a, Role.COUNTY_OFFICER)
    test_browser.sign_in(page, "owner")
    first = propose_warning(page, person.pk, case.pk, "拒不按规定报告活动情况（测试一）")
    # Listed as waiting for the county, not in force yet.
    expect(page.locator(f"#sanction-{first.pk}")).to_contain_text("待县级决定")

    county = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                 viewport={"width": 1280, "height": 800})  # fmt: skip
    county.set_default_timeout(15_000)
    desk = county.new_page()
    test_browser.sign_in(desk, "county_a_officer")
    desk.goto("/console/approvals/")
    row = desk.locator(f"#sanction-proposal-{first.pk}")
    expect(row).to_contain_text("警告")
    expect(row).to_contain_text("拒不按规定报告活动情况（测试一）")
    expect(row).to_contain_text("未按规定报告")  # the basis, in words
    expect(row.locator("[data-file-summary]")).to_contain_text(case.number)
    expect(row.locator("[data-file-summary]")).to_contain_text("以往奖惩")
    shots(desk, "approvals-sanctions")

    # The proposal's own page: refusing without a reason is refused beside the field, then with one.
    row.locator("a", has_text=f"第 {first.pk} 号").click()
    desk.click("#refuse-form button[type=submit]")
    expect(desk.locator("#note-error")).to_have_text("不予批准须说明理由")
    shots(desk, "sanction-proposal")
    desk.fill("#refuse-note", "事实尚需补充调查核实（测试）")
    desk.click("#refuse-form button[type=submit]")
    expect(desk.locator(".flash.success")).to_contain_text("已不予批准")
    expect(desk.locator(f"#sanction-proposal-{first.pk}")).to_have_count(0)

    # The proposer's inbox (the sender loop's work, done here) holds the notice; its link shows the reason.
    while sender.handle_batch():
        pass
    page.goto("/api/v1/inbox")
    (message,) = json.loads(page.locator("body").inner_text())["items"]
    assert "不予批准" in message["title"] and "事实尚需补充调查核实" not in message["body"]
    assert person.name not in message["body"]
    page.goto(f"/console/approvals/sanctions/{first.pk}/")
    expect(page.locator("#sanction-state")).to_have_text("不予批准")
    expect(page.locator("#decision-note")).to_have_text("事实尚需补充调查核实（测试）")
    expect(page.locator("#approve-form")).to_have_count(0)

    # A second warning, approved from the queue: now in force, on the person's page.
    second = propose_warning(page, person.pk, case.pk, "无正当理由未参加教育学习（测试二）")
    desk.goto("/console/approvals/")
    desk.locator(f"#sanction-proposal-{second.pk} form.approve-form button").click()
    expect(desk.locator(".flash.success")).to_contain_text("已批准")
    page.goto(f"/console/people/{person.pk}/")
    expect(page.locator("#sanctions")).to_contain_text("警告")
    expect(page.locator("#sanctions")).not_to_contain_text("测试一")  # refused: off the person's list

    # The leave queue's entries have a page of their own too (the filer's notice links to it).
    page.goto(f"/console/approvals/leave/{world.leave.pk}/")
    expect(page.locator("#leave-detail [data-file-summary]")).to_contain_text("以往奖惩（1）")
    shots(page, "leave-request")
    county.close()
