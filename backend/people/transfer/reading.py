"""Reading an uploaded spreadsheet into rows of cells, refusing what is not one — safely.

An XLSX is a zip of XML: a small file may unpack to gigabytes (a "zip bomb"), or declare a million
columns.  So the archive's unpacked size and entry count are checked before openpyxl opens it (read-only
mode: rows stream, nothing is held but the row in hand), and reading stops past the row and column caps.
A CSV from Excel on a Chinese Windows is GB18030 (Excel writes no BOM); from anything else UTF-8, with or
without a BOM: UTF-8 is tried first, since GB18030 would decode most UTF-8 bytes into nonsense.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from backend.core.errors import Invalid

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int
    max_unzipped_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS, settings.IMPORT_MAX_UNZIPPED_BYTES)


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)


def read_sheet(content: bytes, filename: str, limits: Limits | None = None) -> Sheet:
    """The first worksheet (XLSX) or the file (CSV) as headers and non-empty rows; Invalid otherwise."""
    limits = limits or Limits.from_settings()
    if not content:
        raise Invalid("文件是空的", {"field": "file"})
    name = filename.lower()
    if content.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(content, limits)
    elif name.endswith((".xlsx", ".xlsm", ".xls")):
        raise Invalid(
            "无法读取该文件：请上传 Excel 2007 及以上版本的 .xlsx 文件或 .csv 文件", {"field": "file"}
        )
    else:
        rows = _csv_rows(content, limits)
    return _sheet(rows, limits)


def _sheet(rows, limits: Limits) -> Sheet:
    headers: list[str] | None = None
    found: list[tuple[int, list[Any]]] = []
    for number, cells in rows:
        if len(cells) > limits.max_columns and any(c not in (None, "") for c in cells[limits.max_columns :]):
            raise Invalid(f"列数超过上限 {limits.max_columns} 列", {"field": "file"})
        cells = list(cells[: limits.max_columns])
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if headers is None:
            headers = [("" if c is None else str(c)).strip() for c in cells]
            continue
        if len(found) >= limits.max_rows:
            raise Invalid(f"数据行数超过上限 {limits.max_rows} 行，请分批导入", {"field": "file"})
        found.append((number, cells))
    if headers is None:
        raise Invalid("文件中没有表头，请使用导入模板", {"field": "file"})
    return Sheet(headers, found)


def _xlsx_rows(content: bytes, limits: Limits):
    from openpyxl import load_workbook  # imported on first upload: a large library the pages never need

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise Invalid("无法读取该 Excel 文件（文件已损坏或不是 .xlsx）", {"field": "file"}) from None
    if len(entries) > 1000 or sum(e.file_size for e in entries) > limits.max_unzipped_bytes:
        raise Invalid("Excel 文件解压后过大，拒绝读取", {"field": "file"})
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a broken archive
        raise Invalid("无法读取该 Excel 文件（文件已损坏或不是 .xlsx）", {"field": "file"}) from None
    try:
        sheet = book.worksheets[0]
        cap = limits.max_columns + 1  # one more, to see that a row is too wide
        for number, row in enumerate(sheet.iter_rows(max_col=cap), start=1):
            if number > limits.max_rows + 1000:  # empty rows are skipped, but not without end
                raise Invalid(f"数据行数超过上限 {limits.max_rows} 行，请分批导入", {"field": "file"})
            yield number, [_xlsx_value(cell) for cell in row]
    finally:
        book.close()


class Formula(str):
    """A cell that holds a formula: refused (an import takes values, and ``=HYPERLINK(…)`` is an attack)."""


def _xlsx_value(cell) -> Any:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
        return Formula(str(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def _csv_rows(content: bytes, limits: Limits):
    if b"\x00" in content:
        raise Invalid("文件含有空字节（NUL），不是 CSV 文本文件", {"field": "file"})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise Invalid(
                "无法识别文件编码：请另存为 UTF-8 或 GB18030 编码的 CSV", {"field": "file"}
            ) from None
    csv.field_size_limit(64 * 1024)
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > limits.max_rows + 1000:
                raise Invalid(f"数据行数超过上限 {limits.max_rows} 行，请分批导入", {"field": "file"})
            yield number, cells
    except csv.Error:
        raise Invalid("CSV 文件格式错误（引号不配对或单元格过长）", {"field": "file"}) from None
