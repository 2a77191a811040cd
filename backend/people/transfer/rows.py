"""Each spreadsheet row → the values the actions take, or a Chinese message per cell.

A cell is first read as its column's kind (a date, one of the choices, 是/否, a number); then the row goes
through the same checks a registration and an opened case go through (``prepare_person``,
``check_correction`` …, backend/people/actions): the ID number's check digit and the birth date and gender
it implies, the case's dates, and the policy (``case.open`` for this kind).  A refusal that names its field
(``details["field"]``) is put on that column.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from backend.core.bounds import range_text, year_in_range
from backend.core.errors import DomainError, Invalid
from backend.core.models import Jurisdiction, User
from backend.people.actions.cases import check_aftercare, check_correction, check_mental_health
from backend.people.actions.persons import PersonData, prepare_person
from backend.people.models import AftercareOrigin, CaseKind, Person
from backend.people.transfer.columns import BY_HEADER, BY_KEY, COLUMNS, REQUIRED_FOR_CASE, Column, header_of
from backend.people.transfer.reading import Formula, Sheet

TRUE_WORDS = {"是", "y", "yes", "true", "1", "√"}
FALSE_WORDS = {"否", "n", "no", "false", "0", ""}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass
class RowError:
    row: int
    column: str  # a header, or "" for the whole row
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportRow:
    """One checked row: the unsaved person and, when the row opens one, its case's kind and arguments."""

    number: int
    person: Person
    phones: list[dict[str, str]]
    case_kind: str = ""
    case: dict[str, Any] = field(default_factory=dict)


def check_headers(headers: list[str]) -> dict[int, Column]:
    """Which column each position holds; Invalid for an unknown, repeated or missing header."""
    found: dict[int, Column] = {}
    unknown = []
    for position, header in enumerate(headers):
        plain = header.strip().rstrip("*＊").strip()
        if not plain:
            continue
        column = BY_HEADER.get(plain)
        if column is None:
            unknown.append(plain[:20])
        elif column in found.values():
            raise Invalid(f"表头「{plain}」重复", {"field": "file"})
        else:
            found[position] = column
    if unknown:
        raise Invalid(f"未知的列：{'、'.join(unknown[:5])}（请使用导入模板）", {"field": "file"})
    missing = [c.header for c in COLUMNS if c.required and c not in found.values()]
    if missing:
        raise Invalid(f"缺少必填列：{'、'.join(missing)}（请使用导入模板）", {"field": "file"})
    return found


def read_cell(column: Column, value: Any) -> Any:
    """A cell as its column's value (None when empty); DomainError with the Chinese reason otherwise."""
    if isinstance(value, Formula):
        raise DomainError("单元格含公式，请粘贴为数值后再导入")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column.kind == "date":
        return _date(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and column.key == "id_number":
        raise DomainError("证件号码被 Excel 存成了数字（末位已丢失），请将此列设为文本格式后重新填写")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if "\x00" in text:
        raise DomainError("含有空字节")
    if column.kind == "choice":
        for code, label in column.choices:
            if text in (code, label):
                return code
        raise DomainError(f"应为{'、'.join(label for _, label in column.choices)}之一")
    if column.kind == "bool":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise DomainError("应为「是」或「否」")
    if column.kind == "int":
        if not re.fullmatch(r"-?\d{1,6}", text):
            raise DomainError("应为整数")
        return int(text)
    if len(text) > column.max_length:
        raise DomainError(f"不能超过 {column.max_length} 个字")
    return text


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    else:
        text = str(value).strip()
        match = _DATE.match(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
        if not match:
            raise DomainError("日期格式应为 YYYY-MM-DD")
        try:
            day = dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise DomainError("日期不存在") from None
    if not year_in_range(day.year):
        raise DomainError(f"日期应在 {range_text()}之间")
    return day


class Places:
    """The importer's jurisdictions by code and by name: a row names its office by either, within reach."""

    def __init__(self, by: User):
        nodes = list(Jurisdiction.objects.visible_to(by))
        self.by_code = {node.code: node for node in nodes}
        self.by_name: dict[str, list[Jurisdiction]] = {}
        for node in nodes:
            self.by_name.setdefault(node.name, []).append(node)

    def find(self, text: str) -> Jurisdiction:
        if text in self.by_code:
            return self.by_code[text]
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0]
        if named:
            raise DomainError("有多个同名单位，请填写区划代码")
        raise DomainError("单位不存在或不在您的辖区内（请填写区划代码或单位名称）")


def check_row(
    by: User, places: Places, number: int, cells: dict[str, Any]
) -> tuple[ImportRow | None, list[RowError]]:
    """One row's values → an ``ImportRow``, or every error found in it (one per column at most)."""
    errors: list[RowError] = []
    values: dict[str, Any] = {}

    def fail(key: str, message: str) -> None:
        header = header_of(key)
        if not any(e.column == header for e in errors):
            errors.append(RowError(number, header, message))

    kind_text = cells.get("case_kind")
    try:
        kind = read_cell(BY_KEY["case_kind"], kind_text) or ""
    except DomainError as exc:
        fail("case_kind", exc.message)
        kind = ""
    for key, raw in cells.items():
        column = BY_KEY[key]
        if key == "case_kind" or (column.case_kind and column.case_kind != kind):
            continue
        try:
            values[key] = read_cell(column, raw)
        except DomainError as exc:
            fail(key, exc.message)
    for key in ("name", "id_number", "jurisdiction", *REQUIRED_FOR_CASE.get(kind, ())):
        if values.get(key) is None and not any(e.column == header_of(key) for e in errors):
            fail(key, "必填")
    if errors:
        return None, errors

    try:
        home = places.find(values["jurisdiction"])
    except DomainError as exc:
        return None, [RowError(number, header_of("jurisdiction"), exc.message)]
    phones = [
        {"number": p.strip()} for p in re.split(r"[;；,，、\s]+", values.get("phones") or "") if p.strip()
    ]
    for phone in phones:
        if not 3 <= len(phone["number"]) <= 32:
            return None, [RowError(number, header_of("phones"), "电话号码应为 3–32 位")]
    data = PersonData(
        name=values["name"], id_type=values.get("id_type"), id_number=values["id_number"],
        gender=values.get("gender"), birth_date=values.get("birth_date"), ethnicity=values.get("ethnicity"),
        household_address=values.get("household_address"), residence_address=values.get("residence_address"),
        phones=phones,
    )  # fmt: skip
    try:
        person = prepare_person(by=by, jurisdiction=home, data=data)
    except DomainError as exc:
        fail(exc.details.get("field", ""), exc.message)
        return None, errors
    case = _case_arguments(kind, values)
    try:
        _check_case(by, kind, case)
    except DomainError as exc:
        fail(exc.details.get("field", ""), exc.message)
        return None, errors
    return ImportRow(number, person, phones, kind, case), []


def _case_arguments(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    if kind == CaseKind.CORRECTION:
        keys = ("sentence_type", "crime", "court", "judgment_effective_on", "term_start", "term_end")
        return {key: values[key] for key in keys}
    if kind == CaseKind.AFTERCARE:
        return {
            "origin": values.get("origin") or AftercareOrigin.PRISON_RELEASE,
            "release_on": values["release_on"],
            "release_notice_on": values.get("release_notice_on"),
            "prison": values.get("prison") or "",
            "key_person": bool(values.get("key_person")),
        }
    if kind == CaseKind.MENTAL_HEALTH:
        return {key: values[key] for key in ("diagnosis", "risk_level", "opened_on")}
    return {}


def _check_case(by: User, kind: str, case: dict[str, Any]) -> None:
    if kind == CaseKind.CORRECTION:
        check_correction(
            by=by, sentence_type=case["sentence_type"], judgment_effective_on=case["judgment_effective_on"],
            term_start=case["term_start"], term_end=case["term_end"],
        )  # fmt: skip
    elif kind == CaseKind.AFTERCARE:
        check_aftercare(
            by=by,
            origin=case["origin"],
            release_on=case["release_on"],
            release_notice_on=case["release_notice_on"],
        )
    elif kind == CaseKind.MENTAL_HEALTH:
        check_mental_health(by=by, diagnosis=case["diagnosis"], risk_level=case["risk_level"])


def sheet_cells(sheet: Sheet) -> list[tuple[int, dict[str, Any]]]:
    """Each row's cells by column key (Invalid for headers that are not the template's)."""
    positions = check_headers(sheet.headers)
    return [
        (number, {column.key: (cells[i] if i < len(cells) else None) for i, column in positions.items()})
        for number, cells in sheet.rows
    ]
