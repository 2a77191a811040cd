"""导出 XLSX from the list pages (backend/console/exports.py): the page's own rows, scoped as the page,
formula cells neutralised, and audited as ``list.export`` with ids and filter names, never values."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from backend.core.models import AuditEvent
from backend.people.models import Person
from tests.conftest import make_user
from tests.console import world as w
from tests.people import factories

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def cells(response) -> list[list]:
    assert response.status_code == 200 and response["Content-Type"] == XLSX, response.content[:200]
    assert response["Cache-Control"] == "no-store" and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def text(rows: list[list]) -> str:
    return " ".join(str(v) for row in rows for v in row if v is not None)


@pytest.fixture
def world(tree, officers):
    world = w.build(tree, officers)
    w.open_alert(world)
    sealed = factories.person(officers.owner, tree.township_a1, name="测试封存")
    Person.objects.filter(pk=sealed.pk).update(is_sealed=True)
    return world


@pytest.mark.parametrize("path", ["/console/people/?format=xlsx", "/console/alerts/?format=xlsx&state=all",
                                  "/console/devices/?format=xlsx"])  # fmt: skip
def test_a_list_exports_what_its_page_shows_to_the_owner_only(world, officers, path):
    mine = text(cells(client_for(officers.owner).get(path)))
    assert "测试张三" in mine and "测试封存" not in mine
    for other in (officers.colleague, officers.outsider):
        response = client_for(other).get(path)
        if response.status_code == 403:  # devices: office roles of the tree only
            continue
        assert len(cells(response)) == 1  # the header row alone


def test_the_people_export_keeps_the_pages_filters_and_masks_as_the_page(world, officers, tree):
    factories.person(officers.owner, tree.township_a1, name="测试无案件")
    rows = cells(client_for(officers.owner).get("/console/people/?format=xlsx&case_kind=correction"))
    assert rows[0][:3] == ["编号", "三色", "姓名"]
    names = [row[2] for row in rows[1:]]
    assert names == ["测试张三"]
    assert world.person.id_number not in text(rows) and "**" in rows[1][5]  # masked as in the list
    event = AuditEvent.objects.filter(action="list.export").latest("seq")
    assert event.details == {"list": "people", "ids": [world.person.pk], "filters": ["case_kind"], "rows": 1,
                             "page": "console"}  # fmt: skip


def test_an_exact_search_exports_by_post_and_its_value_stays_out_of_the_audit(world, officers):
    response = client_for(officers.owner).post("/console/people/", {"id_number": world.person.id_number,
                                                                     "format": "xlsx"})  # fmt: skip
    assert [row[2] for row in cells(response)[1:]] == ["测试张三"]
    event = AuditEvent.objects.filter(action="list.export").latest("seq")
    assert event.details["filters"] == ["id_number"] and world.person.id_number not in str(event.details)


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(officers, tree):
    factories.person(officers.owner, tree.township_a1, name='=HYPERLINK("http://x.invalid","点")')
    factories.person(officers.owner, tree.township_a1, name="+1-2")
    response = client_for(officers.owner).get("/console/people/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    names = {row[2].value: row[2].data_type for row in sheet.iter_rows(min_row=2)}
    assert names == {'\'=HYPERLINK("http://x.invalid","点")': "s", "'+1-2": "s"}


def test_an_alert_of_a_file_the_reader_may_not_open_exports_without_its_name(world, officers, tree):
    Person.objects.filter(pk=world.person.pk).update(is_sealed=True)
    rows = cells(client_for(officers.colleague).get("/console/alerts/?format=xlsx"))
    assert len(rows) == 1
    rows = cells(client_for(make_user("owner_2", tree.township_a1)).get("/console/alerts/?format=xlsx"))
    assert "（受限档案）" in text(rows) and "测试张三" not in text(rows)


def test_the_approvals_queue_exports_the_leave_waiting_for_the_reader(world, officers):
    response = client_for(officers.owner).get("/console/approvals/?format=xlsx")
    rows = cells(response)
    assert rows[0][:3] == ["编号", "姓名", "案件编号"]
    event = AuditEvent.objects.filter(action="list.export").latest("seq")
    assert event.details["list"] == "approvals.leave" and event.details["ids"] == [r[0] for r in rows[1:]]


def test_each_list_page_offers_the_export_link(world, officers):
    client = client_for(officers.owner)
    for path in (
        "/console/people/?case_kind=correction",
        "/console/alerts/?severity=critical",
        "/console/devices/",
    ):
        page = client.get(path).content.decode()
        assert 'id="export-xlsx"' in page and "format=xlsx" in page
    assert (
        "case_kind=correction&amp;format=xlsx"
        in client.get("/console/people/?case_kind=correction").content.decode()
    )
