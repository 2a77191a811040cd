"""Filled import templates for tests: one synthetic row per index (region 980101 of the test tree's
province 98…, names 测试导入NNNNN, valid check characters), as XLSX or CSV bytes."""

from __future__ import annotations

import datetime as dt

from backend.people.idcard import check_character
from backend.people.transfer.columns import COLUMNS
from backend.people.transfer.template import template_csv, template_xlsx_rows

OFFICE = "980101001000"  # the test tree's 甲一司法所 (tests/conftest.py)


def id_number(index: int, birth: dt.date = dt.date(1985, 6, 1)) -> str:
    first17 = f"980101{birth:%Y%m%d}{index % 1000:03d}"
    return first17 + check_character(first17)


def row(index: int, kind: str = "社区矫正", **values) -> dict:
    """One row by column key: a correction case by default."""
    birth = dt.date(1985, 6, 1) + dt.timedelta(days=index // 1000)
    base = {"name": f"测试导入{index:05d}", "id_number": id_number(index, birth), "jurisdiction": OFFICE,
            "ethnicity": "汉族", "residence_address": "测试路1号", "phones": f"139{index:08d}", "case_kind": kind}  # fmt: skip
    if kind == "社区矫正":
        base.update(sentence_type="缓刑", crime="测试罪名", court="测试法院", judgment_effective_on="2025-01-10",
                    term_start="2025-01-10", term_end="2026-01-09")  # fmt: skip
    elif kind == "安置帮教":
        base.update(
            origin="刑满释放", release_on="2025-03-01", release_notice_on="2025-02-20", prison="测试监狱"
        )
    elif kind == "严重精神障碍":
        base.update(diagnosis="精神分裂症", risk_level="1", opened_on="2025-04-01")
    base.update(values)
    return base


def as_list(values: dict) -> list:
    return [values.get(column.key, "") for column in COLUMNS]


def xlsx(rows: list[dict]) -> bytes:
    return template_xlsx_rows([as_list(r) for r in rows])


def csv_bytes(rows: list[dict], encoding: str = "utf-8-sig") -> bytes:
    return template_csv([as_list(r) for r in rows]).encode(encoding)
