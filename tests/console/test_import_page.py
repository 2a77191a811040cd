"""The import pages (/console/import/): template downloads, the dry run's per-row report, 确认导入, the
size limit, the upload kept encrypted only until it is imported, and a job seen by its uploader only."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from openpyxl import load_workbook

from backend.console.models import ImportJob, ImportState
from backend.core.models import AuditEvent, Role
from backend.people.models import Person
from backend.people.transfer.template import header_row
from tests.conftest import make_user
from tests.people import sheets

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(officers) -> Client:
    c = Client()
    c.force_login(officers.owner)
    return c


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.IMPORT_IN_BACKGROUND = False  # the test's transaction would hide its rows from a thread


def upload(client: Client, content: bytes, name: str = "人员.xlsx"):
    return client.post("/console/import/upload", {"file": SimpleUploadedFile(name, content)})


def test_the_template_downloads_as_xlsx_and_as_csv_with_a_bom(client):
    response = client.get("/console/import/template.xlsx")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))] == header_row()
    csv = client.get("/console/import/template.csv").content
    assert csv.startswith(b"\xef\xbb\xbf") and csv.decode("utf-8-sig").splitlines()[0] == ",".join(
        header_row()
    )


def test_a_bad_row_is_reported_and_nothing_is_kept_then_the_fixed_file_imports(client, officers):
    bad = [sheets.row(1), sheets.row(2, term_end="2025-02-30")]
    response = upload(client, sheets.xlsx(bad))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/import/{job.pk}/"
    page = client.get(f"/console/import/{job.pk}/").content.decode()
    assert "第 3 行" in page and "矫正终止日期" in page and "日期不存在" in page and "检查未通过" in page
    assert job.state == ImportState.INVALID and job.cells is None and Person.objects.count() == 0

    upload(client, sheets.xlsx([sheets.row(1), sheets.row(2)]))
    job = ImportJob.objects.latest("pk")
    assert job.state == ImportState.CHECKED and Person.objects.count() == 0
    with connection.cursor() as cursor:  # kept encrypted at rest until the import
        cursor.execute("SELECT cells, filename FROM console_importjob WHERE id = %s", [job.pk])
        raw = " ".join(cursor.fetchone())
    assert "测试导入" not in raw and sheets.id_number(1) not in raw and "人员" not in raw
    assert "确认导入" in client.get(f"/console/import/{job.pk}/").content.decode()

    assert client.post(f"/console/import/{job.pk}/run").status_code == 302
    job.refresh_from_db()
    assert job.state == ImportState.DONE and job.persons == 2 and job.cells is None
    assert client.get(f"/console/import/{job.pk}/progress").json()["percent"] == 100
    assert "已导入 2 人" in client.get(f"/console/import/{job.pk}/").content.decode()
    assert Person.objects.count() == 2
    event = AuditEvent.objects.get(action="person.import")
    assert event.actor == officers.owner and event.details["persons"] == 2
    client.post(f"/console/import/{job.pk}/run")  # a second click imports nothing again
    assert Person.objects.count() == 2


def test_a_file_over_the_limit_is_refused_unread_with_a_clear_message(client, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    response = upload(client, b"x" * (10 * 1024 * 1024), "big.csv")
    assert response.status_code == 413 and "文件过大：上限 1 MB" in response.content.decode()
    response = upload(client, b"x" * (1024 * 1024 + 10), "big.csv")  # just over: stopped while reading
    assert response.status_code == 413 and "文件过大" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [(b"", "x.csv", "文件是空的"), (b"\x00\x01\x02garbage", "x.csv", "空字节"),
     (b"PK\x03\x04broken", "x.xlsx", "无法读取该 Excel 文件"), ("姓名\n张\n".encode(), "x.csv", "缺少必填列")],
)  # fmt: skip
def test_garbage_is_refused_on_the_upload_page_in_chinese(client, content, name, message):
    response = upload(client, content, name)
    assert response.status_code == 422 and message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_job_is_its_uploaders_own(client, officers):
    upload(client, sheets.xlsx([sheets.row(1)]))
    job = ImportJob.objects.get()
    other = Client()
    other.force_login(officers.colleague)
    for method, path in (("get", "/"), ("post", "run"), ("get", "progress")):
        assert (
            getattr(other, method)(f"/console/import/{job.pk}/{path}".replace("//", "/")).status_code == 404
        )
    assert Person.objects.count() == 0


def test_import_is_refused_to_those_who_may_not_import(tree):
    member = Client()
    member.force_login(make_user("member_a1", tree.grid_a1, Role.TEAM_MEMBER))
    response = member.get("/console/import/")
    assert response.status_code == 403 and "仅社区矫正机构工作人员可以批量导入" in response.content.decode()
    response = upload(member, sheets.xlsx([sheets.row(1)]))
    assert response.status_code == 403 and not ImportJob.objects.exists()
