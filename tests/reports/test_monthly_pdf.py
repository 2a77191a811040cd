"""The monthly statistics PDF: Chinese headings and the fixture's numbers in the text, charts, appendix,
pages that render, the API's checks, the audit row, and the management command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.core.models import AuditEvent, Role
from backend.reports.exports import monthly_statistics
from tests.conftest import make_user
from tests.reports.conftest import needs_poppler, pdf_text, render_pngs

pytestmark = [pytest.mark.django_db, needs_poppler]
URL = "/api/v1/reports/monthly.pdf?jurisdiction={code}&month={month}"


@pytest.fixture
def county_officer(tree):
    return make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)


def test_the_pdf_holds_the_headings_the_figures_and_every_definition(october, tree, county_officer, tmp_path):
    export, _ = monthly_statistics(by=county_officer, code=tree.county_a.code, month="2026-10")
    text = pdf_text(export.content, tmp_path)
    for heading in ("甲县服务管理工作月度统计", "统计月份：2026年10月", "一、在册人员", "二、人员变动", "三、主要工作指标",
                    "四、告警与处置", "五、脱管与电子定位", "附录：指标口径", "内部资料 注意保密"):  # fmt: skip
        assert heading in text, heading
    assert "按期报到率 1 3 33.3%" in text
    assert "衔接率 2 3 66.7%" in text
    assert "必接必送率 1 2 50.0%" in text
    assert "帮教率 2 4 50.0%" in text
    assert "规范管理率（严重精神障碍） 2 3 66.7%" in text
    assert "签到与报告完成率 6 14 42.9%" in text
    assert "签收时长中位数 20 分钟" in text and "办结时长中位数 120 分钟" in text
    assert "佩戴电子定位装置人数（可穿戴设备） 1" in text and "手机信息化核查人数（另行统计） 1" in text
    for name in (
        "【按期报到率】",
        "【衔接率】",
        "【必接必送率】",
        "【帮教率】",
        "【规范管理率】",
        "【签到与报告完成率】",
    ):
        assert name in text, name
    assert f"打印人：{county_officer.username}" in text and "第1页共" in text.replace(" ", "")
    assert "甲县司法局（社区矫正机构）" in text


def test_every_page_renders_to_an_image(october, tree, county_officer, tmp_path):
    export, _ = monthly_statistics(by=county_officer, code=tree.county_a.code, month="2026-10")
    pages = render_pngs(export.content, tmp_path)
    assert len(pages) >= 3
    assert all(page.stat().st_size > 5_000 for page in pages)


def test_the_download_is_a_pdf_and_is_audited_with_codes_only(october, tree, county_officer, api):
    response = api(county_officer).get(URL.format(code=tree.county_a.code, month="2026-10"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.filter(action="report.monthly").get()
    assert event.actor_id == county_officer.pk
    assert event.target_id == str(tree.county_a.pk)
    assert event.details["jurisdiction"] == tree.county_a.code and event.details["month"] == "2026-10"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "十月", "", "2026-10-01"])
def test_a_malformed_month_is_422_in_chinese(month, tree, county_officer, api):
    response = api(county_officer).get(URL.format(code=tree.county_a.code, month=month))
    assert response.status_code == 422
    assert "月份" in response.json()["message"]
    assert not AuditEvent.objects.filter(action="report.monthly").exists()


def test_a_month_in_the_future_is_422(tree, county_officer, api):
    response = api(county_officer).get(URL.format(code=tree.county_a.code, month="2999-01"))
    assert response.status_code == 422 and "晚于本月" in response.json()["message"]


def test_a_team_member_may_not_print_statistics(tree, api):
    member = make_user("member_a1", tree.township_a1, Role.TEAM_MEMBER)
    response = api(member).get(URL.format(code=tree.township_a1.code, month="2026-10"))
    assert response.status_code == 403


def test_the_command_writes_the_file_reports_progress_and_is_audited_as_the_command(october, tree, tmp_path):
    out, target = io.StringIO(), tmp_path / "monthly.pdf"
    call_command(
        "monthly_report", jurisdiction=tree.county_a.code, month="2026-10", out=str(target), stdout=out
    )
    assert target.read_bytes().startswith(b"%PDF")
    assert "正在统计" in out.getvalue() and "签到与报告完成率 6 / 14 = 42.9%" in out.getvalue()
    event = AuditEvent.objects.filter(action="report.monthly").get()
    assert event.actor_id is None and event.actor_label == "command:monthly_report"
    assert "签到与报告完成率 6 14 42.9%" in pdf_text(target.read_bytes(), tmp_path)


def test_the_command_as_a_named_user_uses_their_scope(october, tree, officers, tmp_path):
    call_command("monthly_report", jurisdiction=tree.township_a1.code, month="2026-10", out=str(tmp_path / "a.pdf"),
                 user=officers.owner.username, stdout=io.StringIO())  # fmt: skip
    assert AuditEvent.objects.filter(action="report.monthly", actor=officers.owner).count() == 1
    with pytest.raises(CommandError, match="辖区不存在"):
        call_command("monthly_report", jurisdiction=tree.county_b.code, month="2026-10", out=str(tmp_path / "b.pdf"),
                     user=officers.owner.username, stdout=io.StringIO())  # fmt: skip
