"""The import template to download: the columns as headers (required ones marked ＊), the ID number column
formatted as text (else Excel turns 18 digits into 1.1E+17 and loses the last ones), and a second sheet
that says what each column takes.  The same writer makes filled files for tests and bench/imports.py."""

from __future__ import annotations

import csv
import io

from backend.people.transfer.columns import COLUMNS, REQUIRED_FOR_CASE, Column


def header_row() -> list[str]:
    return [f"{c.header}＊" if c.required else c.header for c in COLUMNS]


def _explain(column: Column) -> list[str]:
    if column.required:
        needed = "必填"
    elif column.case_kind:
        needed = "该类案件必填" if column.key in REQUIRED_FOR_CASE[column.case_kind] else "选填"
    else:
        needed = "选填"
    values = (
        "、".join(label for _, label in column.choices)
        if column.choices
        else {"date": "日期 YYYY-MM-DD", "bool": "是/否", "int": "整数"}.get(
            column.kind, f"文字，≤{column.max_length} 字"
        )
    )
    applies = {"correction": "社区矫正", "aftercare": "安置帮教", "mental_health": "严重精神障碍"}.get(
        column.case_kind, "全部"
    )
    return [column.header, needed, applies, values, column.example, column.note]  # fmt: skip


def template_xlsx_rows(rows: list[list[object]] | None = None) -> bytes:
    import xlsxwriter  # imported on first download: a large library the pages never need

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet = book.add_worksheet("导入")
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4"})
    text = book.add_format({"num_format": "@"})
    for index, column in enumerate(COLUMNS):
        sheet.write_string(0, index, header_row()[index], bold)
        sheet.set_column(index, index, 14 if column.kind != "text" else 20, text)
    for r, row in enumerate(rows or [], start=1):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write_string(r, c, str(value))
    sheet.freeze_panes(1, 0)
    guide = book.add_worksheet("填写说明")
    for c, title in enumerate(("列", "是否必填", "适用案件", "可填的值", "示例", "说明")):
        guide.write_string(0, c, title, bold)
    for r, column in enumerate(COLUMNS, start=1):
        for c, value in enumerate(_explain(column)):
            guide.write_string(r, c, value)
    guide.set_column(0, 5, 22)
    guide.write_string(
        len(COLUMNS) + 2, 0, "只导入第一个工作表；一个文件中任何一行有误，则整份文件都不会写入。"
    )
    book.close()
    return out.getvalue()


def template_csv(rows: list[list[object]] | None = None) -> str:
    """CSV text; served with a UTF-8 BOM so that Excel opens it in the right encoding."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header_row())
    for row in rows or []:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
