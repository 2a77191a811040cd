"""Supervision in a real browser (Chromium through Playwright, against the live test server), driven through
the UI only: an officer records a check-in and a home visit for a person, files a leave application — refused
first because it starts too soon, then because its dates are reversed, each message beside its field — and
sees all three on the person page; then the check-in plan, a sanction, a suggestion and the return (销假)
pages.  Screenshots of each page at desktop and phone width go to tests/artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.supervision.actions.leave import approve_leave
from backend.supervision.models import LeaveRequest, LeaveState, SanctionSuggestion
from tests.console import test_browser
from tests.console import world as w
from tests.people import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
browser, page = test_browser.browser, test_browser.page  # the same fixtures
ARTIFACTS = test_browser.ARTIFACTS
DESKTOP, PHONE, shots = test_browser.DESKTOP, test_browser.PHONE, test_browser.shots


def test_an_officer_records_a_check_in_and_a_home_visit_files_a_leave_application_and_sees_them_on_the_person_page(
    page, tree, officers
):
    today = timezone.localdate()
    world = w.build(tree, officers)
    case, person = world.case, world.person
    aftercare = factories.aftercare(officers.owner, person)
    test_browser.sign_in(page, "owner")
    page.goto(f"/console/people/{person.pk}/")

    # 签到: a report in person at the office, now.
    page.click(f"#checkin-new-{case.pk}")
    expect(page.locator("h1")).to_have_text("登记签到与报告")
    page.select_option("#kind", "in_person")
    page.fill("#note", "本人到所报告近况（测试）")
    shots(page, "checkin-new")
    page.click("#checkin-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已登记签到与报告")
    expect(page.locator("#checkins")).to_contain_text("当面报到")

    # 走访: a home visit for the aftercare case, an hour ago.
    page.click(f"#followup-new-{aftercare.pk}")
    expect(page.locator("h1")).to_have_text("登记随访与走访")
    page.select_option("#kind", "aftercare_contact")
    page.fill("#at", timezone.localtime(timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#note", "上门走访，家中情况正常（测试）")
    shots(page, "followup-new")
    page.click("#followup-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已登记随访与走访记录")
    expect(page.locator("#followups")).to_contain_text("上门走访，家中情况正常（测试）")

    # 外出: too soon, then the dates reversed, then right.
    page.click(f"#leave-new-{case.pk}")
    expect(page.locator("h1")).to_have_text("外出申请")
    page.fill("#starts_on", (today + dt.timedelta(days=1)).isoformat())
    page.fill("#ends_on", (today + dt.timedelta(days=3)).isoformat())
    page.fill("#destination", "测试市测试路 8 号")
    page.fill("#reason", "探望父母（测试）")
    page.click("#leave-form button[type=submit]")
    expect(page.locator("#starts_on-error")).to_contain_text("外出须至少提前 3 日申请")
    expect(page.locator("#destination")).to_have_value("测试市测试路 8 号")  # the rest as typed
    shots(page, "leave-new")
    page.fill("#starts_on", (today + dt.timedelta(days=20)).isoformat())
    page.fill("#ends_on", (today + dt.timedelta(days=18)).isoformat())
    page.click("#leave-form button[type=submit]")
    expect(page.locator("#ends_on-error")).to_have_text("外出结束日期不能早于开始日期")
    expect(page.locator("#starts_on-error")).to_have_count(0)
    page.fill("#ends_on", (today + dt.timedelta(days=22)).isoformat())
    page.click("#leave-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已提交外出申请，等待审批")
    filed = LeaveRequest.objects.exclude(pk=world.leave.pk).get()
    row = page.locator(f"#leave-{filed.pk}")
    expect(row).to_contain_text("测试市测试路 8 号")
    expect(row).to_contain_text("待审批")
    expect(row.locator("button", has_text="撤回")).to_be_visible()  # the submitter, before a decision
    shots(page, "person-supervision")

    # The check-in plan: one duty adjusted for this person (留痕).
    page.click(f"#checkin-plans-{case.pk}")
    expect(page.locator("h1")).to_have_text("签到计划")
    form = page.locator("form.plan-form").first
    form.locator("input[name=required]").fill("0")
    form.locator("button", has_text="保存").click()
    expect(page.locator("#required-error")).to_contain_text("应至少为 1")
    page.locator("form.plan-form").first.locator("input[name=required]").fill("5")
    page.locator("form.plan-form").first.locator("button", has_text="保存").click()
    expect(page.locator(".flash.success")).to_have_text("已调整签到要求（留痕）")
    expect(page.locator("#plans")).to_contain_text("个别调整")
    shots(page, "checkin-plans")

    # A sanction, and a suggestion the rules made.
    page.goto(f"/console/people/{person.pk}/")
    page.click(f"#sanction-new-{case.pk}")
    page.select_option("#kind", "praise")
    page.fill("#reason", "积极参加社区服务（测试）")
    shots(page, "sanction-new")
    page.click("#sanction-form button[type=submit]")
    expect(page.locator(".flash").first).to_contain_text("考核奖惩")
    suggestion = SanctionSuggestion.objects.create(
        case=case, kind="admonition", rule="lost_contact_le_10d",
        details={"lost_since": (today - dt.timedelta(days=2)).isoformat(), "days": 2, "ongoing": False},
    )  # fmt: skip
    page.goto(f"/console/people/{person.pk}/")
    page.click(f"#suggestions a[href='/console/suggestions/{suggestion.pk}/']")
    page.click("#dismiss-form button[type=submit]")
    expect(page.locator("#note-error")).to_have_text("不采纳须说明理由")
    shots(page, "suggestion")
    page.fill("#note", "已核实为系统误报（测试）")
    page.click("#dismiss-form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("已不采纳建议")

    # 销假 of the leave approved meanwhile.
    approve_leave(by=officers.owner, leave=world.leave)
    page.goto(f"/console/people/{person.pk}/")
    page.locator(f"#leave-{world.leave.pk} a", has_text="销假").click()
    expect(page.locator("h1")).to_contain_text("销假")
    shots(page, "leave-return")
    page.click("#return-form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("销假")
    expect(page.locator(f"#leave-{world.leave.pk}")).to_contain_text("已销假")
    assert LeaveRequest.objects.get(pk=world.leave.pk).state == LeaveState.RETURNED
