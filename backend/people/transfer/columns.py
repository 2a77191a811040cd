"""The import template's columns: header (Chinese, what an office types), the key the rows use, and what a
cell holds.  The fields are those ``register_person`` and the three ``open_*_case`` actions take
(backend/people/actions/persons.py, cases.py); a case's columns apply only to rows of that kind."""

from __future__ import annotations

from dataclasses import dataclass

from backend.people.idcard import DocumentType
from backend.people.models import AftercareOrigin, CaseKind, Diagnosis, Gender, SentenceType


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | date | choice | bool | int
    max_length: int = 200
    required: bool = False
    case_kind: str = ""  # a case's own column: read only on rows of that kind
    choices: tuple[tuple[str, str], ...] = ()  # (value, label); a cell may hold either
    example: str = ""
    note: str = ""


def _choices(pairs) -> tuple[tuple[str, str], ...]:
    return tuple((str(value), str(label)) for value, label in pairs)


C, A, M = CaseKind.CORRECTION, CaseKind.AFTERCARE, CaseKind.MENTAL_HEALTH

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", max_length=64, required=True, example="测试甲00001"),
    Column("id_type", "证件类型", "choice", choices=_choices(DocumentType.CHOICES), example="居民身份证",
           note="空白即居民身份证"),
    Column("id_number", "证件号码", max_length=40, required=True, example="990102198001010011",
           note="请将此列设为文本格式，以免末位被改写"),
    Column("gender", "性别", "choice", choices=_choices(Gender.choices), example="男", note="可空，按身份证号码推出"),
    Column("birth_date", "出生日期", "date", example="1980-01-01", note="可空，按身份证号码推出"),
    Column("ethnicity", "民族", max_length=16, example="汉族"),
    Column("household_address", "户籍地", example="演示省演示市安和县东城路1号"),
    Column("residence_address", "居住地", example="演示省演示市安和县东城路1号"),
    Column("phones", "电话", max_length=200, example="13900000001", note="多个号码以分号隔开"),
    Column("jurisdiction", "所属单位", max_length=100, required=True, example="990102001000",
           note="区划代码或单位名称，须在本人辖区内"),
    Column("case_kind", "案件类型", "choice", choices=_choices(CaseKind.choices), example="社区矫正",
           note="空白则只建档"),
    # 社区矫正
    Column("sentence_type", "矫正类别", "choice", case_kind=C, choices=_choices(SentenceType.choices), example="缓刑"),
    Column("crime", "罪名", case_kind=C, example="盗窃罪"),
    Column("court", "决定机关", max_length=100, case_kind=C, example="安和县人民法院"),
    Column("judgment_effective_on", "判决生效日期", "date", case_kind=C, example="2025-01-10"),
    Column("term_start", "矫正起始日期", "date", case_kind=C, example="2025-01-10"),
    Column("term_end", "矫正终止日期", "date", case_kind=C, example="2026-01-09"),
    # 安置帮教
    Column("origin", "帮教来源", "choice", case_kind=A, choices=_choices(AftercareOrigin.choices), example="刑满释放",
           note="空白即刑满释放"),
    Column("release_on", "释放日期", "date", case_kind=A, example="2025-03-01"),
    Column("release_notice_on", "释放通知日期", "date", case_kind=A, example="2025-02-20"),
    Column("prison", "原服刑单位", max_length=100, case_kind=A, example="演示监狱"),
    Column("key_person", "重点帮教对象", "bool", case_kind=A, example="否", note="是/否"),
    # 严重精神障碍
    Column("diagnosis", "诊断", "choice", case_kind=M, choices=_choices(Diagnosis.choices), example="精神分裂症"),
    Column("risk_level", "危险性评估等级", "int", case_kind=M, example="1", note="0–5"),
    Column("opened_on", "建档日期", "date", case_kind=M, example="2025-04-01"),
)  # fmt: skip

BY_HEADER = {column.header: column for column in COLUMNS}
BY_KEY = {column.key: column for column in COLUMNS}

# What each kind's opener needs besides the person; the API's input schemas (CorrectionIn, AftercareIn,
# MentalHealthIn) require the same ones.
REQUIRED_FOR_CASE = {
    C: ("sentence_type", "crime", "court", "judgment_effective_on", "term_start", "term_end"),
    A: ("release_on",),
    M: ("diagnosis", "risk_level", "opened_on"),
}


def header_of(key: str) -> str:
    """The column a domain message names by its field (``details["field"]``); the person's name otherwise."""
    column = BY_KEY.get(key)
    return column.header if column else ""
