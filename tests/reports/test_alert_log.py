"""告警处置台账: the period's alerts of a subtree with their handling, as PDF and CSV, audited."""

from __future__ import annotations

import csv
import io

import pytest

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Alert
from tests.conftest import make_user
from tests.people import factories
from tests.reports.conftest import at, needs_poppler, pdf_text

pytestmark = [pytest.mark.django_db, needs_poppler]
PDF = "/api/v1/reports/alerts.pdf?jurisdiction={code}&from=2026-10-01&to=2026-10-31"


@pytest.fixture
def county_officer(tree):
    return make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)


def test_the_log_lists_the_periods_alerts_with_their_handling(october, tree, county_officer, api, tmp_path):
    response = api(county_officer).get(PDF.format(code=tree.county_a.code))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path, layout=False)
    assert "告警处置台账" in text and "共3条告警" in text
    assert text.count("未按时签到或报告") == 2 and "离开允许区域（越界）" in text
    assert "已电话核实（测试）" in text and october.c1.number in text
    assert "乙一" not in text  # the other county's alert is not in 甲县's log


def test_the_csv_has_one_row_per_alert_and_opens_in_excel(october, tree, county_officer, api):
    response = api(county_officer).get(
        PDF.format(code=tree.county_a.code).replace("alerts.pdf", "alerts.csv")
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["编号", "生成时间", "类型"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(a.pk for a in october.alerts)
    event = AuditEvent.objects.filter(action="report.alert_log").get()
    assert event.details["format"] == "csv" and sorted(event.details["ids"]) == sorted(
        a.pk for a in october.alerts
    )


def test_a_restricted_file_shows_no_name_in_the_log(tree, officers, county_officer, api, tmp_path):
    minor = factories.person(officers.owner, tree.township_a1, name="测试未成年", birth=at(2012, 1, 1).date())
    alert, _ = raise_alert(kind="sos", severity="critical", person=minor, subject="t")
    Alert.objects.filter(pk=alert.pk).update(opened_at=at(2026, 10, 5))
    text = pdf_text(
        api(county_officer).get(PDF.format(code=tree.county_a.code)).content, tmp_path, layout=False
    )
    assert "受限档案" in text and "测试未成年" not in text


def test_a_bad_date_is_422_and_a_year_is_the_longest_period(tree, county_officer, api):
    bad = api(county_officer).get(
        f"/api/v1/reports/alerts.pdf?jurisdiction={tree.county_a.code}&from=2026-02-30"
    )
    assert bad.status_code == 422 and "日期" in bad.json()["message"]
    long = api(county_officer).get(
        f"/api/v1/reports/alerts.pdf?jurisdiction={tree.county_a.code}&from=2024-01-01&to=2026-01-01"
    )
    assert long.status_code == 422 and "366" in long.json()["message"]
