"""批量导入 in a real browser (Chromium through Playwright, live server, the import in its background
thread): an officer downloads the template, uploads a file with one bad row and sees the dry run name it,
fixes it, imports with the progress bar reaching 100 %, finds the people in the list and exports it."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from backend.core.models import Role
from backend.people.models import Person
from backend.people.transfer.template import header_row
from tests.conftest import PASSWORD, make_user
from tests.console import test_browser
from tests.people import sheets

browser, page, shot = test_browser.browser, test_browser.page, test_browser.shot  # the same fixtures
ARTIFACTS, sign_in = test_browser.ARTIFACTS, test_browser.sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROWS = 1500


def both_widths(page: Page, name: str) -> None:
    shot(page, f"{name}-desktop")
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(ARTIFACTS / f"console-{name}-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_officer_imports_a_fixed_spreadsheet_with_a_progress_bar_and_exports_the_people_list(
    page, officers
):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, "owner")
    page.goto("/console/people/")
    page.click("#person-import")
    expect(page.locator("h1")).to_contain_text("批量导入")
    with page.expect_download() as download:
        page.click("#template-xlsx")
    template = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    assert [c.value for c in next(template.worksheets[0].iter_rows(max_row=1))] == header_row()
    both_widths(page, "import")

    kinds = ("社区矫正", "安置帮教", "严重精神障碍")
    rows = [sheets.row(i, kinds[i % 3]) for i in range(1, ROWS + 1)]
    rows[41]["id_number"] = rows[41]["id_number"][:-1] + ("1" if rows[41]["id_number"][-1] != "1" else "2")
    page.set_input_files("#import-file", files=[{"name": "人员.xlsx", "mimeType": "application/octet-stream",
                                                  "buffer": sheets.xlsx(rows)}])  # fmt: skip
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-verdict")).to_contain_text("检查未通过：1 行有误，未写入任何数据")
    expect(page.locator("#import-report")).to_contain_text("第 43 行")
    expect(page.locator("#import-report")).to_contain_text("身份证号码校验位错误")
    expect(page.locator("#import-run")).to_have_count(0)  # nothing to confirm
    both_widths(page, "import-report")
    assert Person.objects.count() == 0

    rows[41] = sheets.row(42, kinds[42 % 3])  # fixed
    page.goto("/console/import/")
    page.set_input_files("#import-file", files=[{"name": "人员（已改）.xlsx", "mimeType": "application/octet-stream",
                                                  "buffer": sheets.xlsx(rows)}])  # fmt: skip
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-verdict")).to_contain_text(f"检查通过：全部 {ROWS} 行均可导入")
    page.click("#import-run button")
    expect(page.locator("#import-bar")).to_be_visible()
    expect(page.locator("#import-verdict")).to_contain_text(f"已导入 {ROWS} 人", timeout=60_000)
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    expect(page.locator("#import-count")).to_contain_text(f"{ROWS} / {ROWS}（100 %）")
    both_widths(page, "import-done")
    assert Person.objects.count() == ROWS

    page.click("text=查看人员列表")
    expect(page.locator("#people")).to_contain_text(f"测试导入{ROWS:05d}")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    exported = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    names = {row[2].value for row in exported.iter_rows(min_row=2)}
    assert len(names) == ROWS and "测试导入00001" in names


def test_a_team_member_is_refused_the_import_page(page, tree):
    make_user("member", tree.grid_a1, Role.TEAM_MEMBER)
    page.goto("/login/")
    page.fill("#username", "member")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/console/import/")
    expect(page.locator("body")).to_contain_text("仅社区矫正机构工作人员可以批量导入")
