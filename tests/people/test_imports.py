"""批量导入 (backend/people/actions/imports.py): a spreadsheet's rows checked as registrations and opened
cases are checked, every error named by row and column in Chinese, and written all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from backend.core.errors import Forbidden, Invalid
from backend.core.models import AuditEvent, Role
from backend.people.actions.cases import open_aftercare_case, open_correction_case, open_mental_health_case
from backend.people.actions.imports import ImportRefused, check_import, import_rows
from backend.people.actions.persons import PersonData, register_person
from backend.people.models import AccessGrant, Case, CaseMark, Person, Team
from backend.people.transfer.columns import COLUMNS
from backend.people.transfer.template import header_row, template_xlsx_rows
from tests.conftest import make_user
from tests.people import sheets

pytestmark = pytest.mark.django_db


def errors_of(checked) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in checked.errors]


def test_the_template_round_trips_through_a_dry_run_and_an_import(officer):
    book = load_workbook(io.BytesIO(template_xlsx_rows()), read_only=True)
    assert [c.value for c in next(book.worksheets[0].iter_rows(max_row=1))] == header_row()
    assert "填写说明" in book.sheetnames
    rows = [sheets.row(1), sheets.row(2, "安置帮教"), sheets.row(3, "严重精神障碍"), sheets.row(4, "")]
    checked = check_import(officer, sheets.xlsx(rows), "人员.xlsx")
    assert checked.ok and checked.total == 4 and Person.objects.count() == 0  # the dry run writes nothing
    result = import_rows(by=officer, cells=checked.cells)
    assert result.persons == 4 and result.cases == {"correction": 1, "aftercare": 1, "mental_health": 1}
    first = Person.objects.get(pk=result.first_id)
    assert (first.name, first.id_number, first.residence_address) == (
        "测试导入00001",
        sheets.id_number(1),
        "测试路1号",
    )
    assert first.gender == "male" and first.birth_date == dt.date(1985, 6, 1)  # implied by the ID number
    assert [p.number for p in first.phones.all()] == ["13900000001"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_a_csv_reads_in_utf8_with_or_without_bom_and_in_gb18030(officer, encoding):
    checked = check_import(officer, sheets.csv_bytes([sheets.row(1)], encoding), "人员.csv")
    assert checked.ok, errors_of(checked)
    assert checked.cells[0][1]["name"] == "测试导入00001"


def _single(officer, kind: str, index: int) -> Person:
    today = dt.date(2025, 1, 10)
    person = register_person(by=officer, jurisdiction=officer.jurisdiction, data=PersonData(
        name=f"测试导入{index:05d}", id_number=sheets.id_number(index), ethnicity="汉族",
        residence_address="测试路1号", phones=[{"number": f"139{index:08d}"}]))  # fmt: skip
    if kind == "correction":
        open_correction_case(by=officer, person=person, sentence_type="02", crime="测试罪名", court="测试法院",
                             judgment_effective_on=today, term_start=today, term_end=dt.date(2026, 1, 9))  # fmt: skip
    elif kind == "aftercare":
        open_aftercare_case(by=officer, person=person, origin="prison_release", release_on=dt.date(2025, 3, 1),
                            release_notice_on=dt.date(2025, 2, 20), prison="测试监狱")  # fmt: skip
    else:
        open_mental_health_case(by=officer, person=person, diagnosis="schizophrenia", risk_level=1,
                                opened_on=dt.date(2025, 4, 1))  # fmt: skip
    return person


def _shape(person: Person) -> dict:
    case = person.cases.get()
    detail = getattr(
        case, {"correction": "correction", "aftercare": "aftercare"}.get(case.kind, "mental_health")
    )
    skip = {"case", "case_id", "guardian_id", "source_case_id"}
    events = AuditEvent.objects.filter(target_type="people.person", target_id=str(person.pk)) | (
        AuditEvent.objects.filter(target_type="people.case", target_id=str(case.pk))
    )
    return {
        "person": {k: getattr(person, k) for k in ("gender", "birth_date", "ethnicity", "is_minor", "is_sealed",
                                                  "jurisdiction_id", "created_by_id", "id_type")},
        "case": {k: getattr(case, k) for k in ("kind", "status", "sub_status", "opened_on", "officer_id",
                                              "jurisdiction_id", "risk_level", "category")},
        "number": (case.number[:6], len(case.number), case.number.endswith(f"{case.pk:06d}")),
        "detail": {f.attname: getattr(detail, f.attname) for f in detail._meta.concrete_fields if f.attname not in skip},
        "team": Team.objects.filter(case=case, activated_at__isnull=True).count(),
        "marks": list(CaseMark.objects.filter(case=case).values_list("kind", "value", "effective_on", "reason")),
        "audit": sorted((e.action, e.target_type, e.actor_id, str(sorted(e.details.items()))) for e in events),
    }  # fmt: skip


@pytest.mark.parametrize(("kind", "label"), [("correction", "社区矫正"), ("aftercare", "安置帮教"),
                                             ("mental_health", "严重精神障碍")])  # fmt: skip
def test_an_imported_row_is_what_registering_and_opening_it_by_hand_makes(officer, kind, label):
    by_hand = _single(officer, kind, 1)
    checked = check_import(officer, sheets.xlsx([sheets.row(3, label)]), "x.xlsx")  # odd: male, as 1
    imported = Person.objects.get(pk=import_rows(by=officer, cells=checked.cells).first_id)
    assert _shape(imported) == _shape(by_hand)


def test_a_minors_imported_file_gives_its_importer_the_same_grant_as_registration(officer):
    birth = dt.date.today().replace(year=dt.date.today().year - 15, day=1)
    row = sheets.row(1, "", id_number=sheets.id_number(1, birth))
    result = import_rows(by=officer, cells=check_import(officer, sheets.xlsx([row]), "x.xlsx").cells)
    person = Person.objects.get(pk=result.first_id)
    assert person.is_minor and AccessGrant.objects.filter(person=person, user=officer).count() == 1
    assert AuditEvent.objects.filter(action="person.grant", target_id=str(person.pk)).count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件是空的"),
        (b"%PDF-1.7\n\x00\x01binary", "空字节"),
        (b"PK\x03\x04not really a zip", "无法读取该 Excel 文件"),
        ("姓名,证件号码,籍贯\n张,1,x\n".encode(), "未知的列：籍贯"),
        ("姓名,证件号码\n张,1\n".encode(), "缺少必填列：所属单位"),
        (b"\n\n", "没有表头"),
    ],
)
def test_a_file_that_is_not_the_template_is_refused_in_chinese(officer, content, message):
    with pytest.raises(Invalid) as refused:
        check_import(officer, content, "x.csv")
    assert message in refused.value.message


def test_an_old_excel_file_is_refused_by_name(officer):
    with pytest.raises(Invalid, match="xlsx"):
        check_import(officer, b"\xd0\xcf\x11\xe0 old binary excel", "x.xls")


def test_an_xlsx_bomb_is_refused_before_it_is_unpacked(officer):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 3_000_000 + b">")
    with override_settings(IMPORT_MAX_UNZIPPED_BYTES=1024 * 1024), pytest.raises(Invalid, match="解压后过大"):
        check_import(officer, out.getvalue(), "x.xlsx")


def test_too_many_rows_or_columns_are_refused(officer):
    with override_settings(IMPORT_MAX_ROWS=3), pytest.raises(Invalid, match="行数超过上限 3 行"):
        check_import(officer, sheets.xlsx([sheets.row(i) for i in range(1, 5)]), "x.xlsx")
    wide = (",".join(header_row()) + "," * 80 + "x\n").encode()
    with pytest.raises(Invalid, match="列数超过上限"):
        check_import(officer, wide, "x.csv")


def test_each_bad_cell_is_named_by_row_and_column_and_nothing_is_written(officer):
    rows = [
        sheets.row(1),
        sheets.row(2, id_number=sheets.id_number(2)[:-1] + ("0" if sheets.id_number(2)[-1] != "0" else "1")),
        sheets.row(3, term_end="2025-02-30"),
        sheets.row(4, judgment_effective_on="明天"),
        sheets.row(5, sentence_type="拘役"),
        sheets.row(6, jurisdiction="980102001000"),  # another county's office: out of reach
        sheets.row(7, name=""),
        sheets.row(8, gender="男"),  # the ID number says female
        sheets.row(9, term_end="2024-01-01"),  # before the term starts
        sheets.row(10, id_number=sheets.id_number(1)),  # the same person as row 2 of the sheet
        sheets.row(11, case_kind="缓刑"),
    ]
    checked = check_import(officer, sheets.xlsx(rows), "x.xlsx")
    assert errors_of(checked) == [
        (3, "证件号码", "身份证号码校验位错误，请核对"),
        (4, "矫正终止日期", "日期不存在"),
        (5, "判决生效日期", "日期格式应为 YYYY-MM-DD"),
        (6, "矫正类别", "应为管制、缓刑、假释、暂予监外执行之一"),
        (7, "所属单位", "单位不存在或不在您的辖区内（请填写区划代码或单位名称）"),
        (8, "姓名", "必填"),
        (9, "性别", "性别与身份证号码不一致"),
        (10, "矫正终止日期", "矫正终止日期必须晚于起始日期"),
        (11, "证件号码", "与第 2 行的证件号码重复"),
        (12, "案件类型", "应为社区矫正、安置帮教、严重精神障碍之一"),
    ]
    assert not checked.ok and Person.objects.count() == 0


def test_a_formula_cell_and_an_id_number_stored_as_a_number_are_refused(officer):
    book = Workbook()
    sheet = book.active
    sheet.append(header_row())
    values = sheets.as_list(sheets.row(1))
    values[0] = '=HYPERLINK("http://example.invalid","点我")'
    sheet.append(values)
    values = sheets.as_list(sheets.row(2))
    values[2] = float(sheets.id_number(2)[:15])  # Excel keeps 15 significant digits
    sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    checked = check_import(officer, out.getvalue(), "x.xlsx")
    assert [(e.row, e.column) for e in checked.errors] == [(2, "姓名"), (3, "证件号码")]
    assert "公式" in checked.errors[0].message and "文本格式" in checked.errors[1].message


def test_a_file_with_one_bad_row_among_a_thousand_writes_nothing(officer):
    rows = [sheets.row(i, ("社区矫正", "安置帮教", "严重精神障碍")[i % 3]) for i in range(1, 1001)]
    rows[499]["release_on"] = rows[499]["term_end"] = rows[499]["opened_on"] = "2025-13-01"
    checked = check_import(officer, sheets.xlsx(rows), "x.xlsx")
    assert [(e.row, e.message) for e in checked.errors] == [(501, "日期不存在")]
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ImportRefused, match="第 501 行"):
        import_rows(by=officer, cells=checked.cells)
    assert Person.objects.count() == 0 and Case.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_a_person_on_file_is_reported_and_a_second_import_of_the_same_file_creates_nothing(officer):
    content = sheets.xlsx([sheets.row(1), sheets.row(2, "安置帮教")])
    import_rows(by=officer, cells=check_import(officer, content, "x.xlsx").cells)
    assert Person.objects.count() == 2 and Case.objects.count() == 2
    again = check_import(officer, content, "x.xlsx")
    assert [(e.row, e.column) for e in again.errors] == [(2, "证件号码"), (3, "证件号码")]
    assert "已建档" in again.errors[0].message
    with pytest.raises(ImportRefused):
        import_rows(by=officer, cells=again.cells)
    assert Person.objects.count() == 2 and Case.objects.count() == 2


def test_someone_registering_the_same_person_after_the_dry_run_stops_the_whole_import(officer):
    checked = check_import(officer, sheets.xlsx([sheets.row(1), sheets.row(2)]), "x.xlsx")
    assert checked.ok
    _single(officer, "correction", 2)  # meanwhile, by hand
    with pytest.raises(ImportRefused) as refused:
        import_rows(by=officer, cells=checked.cells)
    assert refused.value.errors[0].row == 3 and Person.objects.count() == 1


def test_only_the_correction_office_may_import(tree):
    member = make_user("member_a1", tree.grid_a1, Role.TEAM_MEMBER)
    doctor = make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)
    for user in (member, doctor):
        with pytest.raises(Forbidden, match="仅社区矫正机构工作人员可以批量导入"):
            check_import(user, sheets.xlsx([sheets.row(1)]), "x.xlsx")


def test_the_office_is_found_by_code_or_by_name_within_reach(officer):
    checked = check_import(officer, sheets.xlsx([sheets.row(1, jurisdiction="甲一社区"),
                                                 sheets.row(2, jurisdiction="乙一司法所")]), "x.xlsx")  # fmt: skip
    assert [(e.row, e.column) for e in checked.errors] == [(3, "所属单位")]


def test_every_column_of_the_template_has_a_distinct_header():
    assert len({c.header for c in COLUMNS}) == len(COLUMNS)
