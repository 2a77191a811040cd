"""Any list page as an XLSX file (导出): ``export_xlsx`` writes the rows the page's own query found — so the
file is scoped exactly as the page — and the view writes the audit row (``list.export``: the list's name,
the row ids and the *names* of the filters used, never their values).

Every text cell that a spreadsheet would run as a formula (= + - @ tab CR) gets the same apostrophe as the
CSV alert log (``backend.reports.alert_log.neutralise``), and xlsxwriter is told never to turn strings into
formulas, numbers or links: a name typed as ``=HYPERLINK(…)`` stays that text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.reports.alert_log import neutralise

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (header, how to read the cell from a row); a row may be a dict or an object.
Column = tuple[str, Callable[[Any], Any]]


def wants_xlsx(request: HttpRequest) -> bool:
    """A list page answers ``?format=xlsx`` (or a posted ``format``) with its rows as a file."""
    return (request.GET.get("format") or request.POST.get("format")) == "xlsx"


def export_limit() -> int:
    return int(settings.EXPORT_MAX_ROWS)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def xlsx_bytes(rows: Iterable[Any], columns: Sequence[Column], sheet: str = "导出") -> bytes:
    import xlsxwriter  # imported on first export: a large library the pages never need

    out = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False}  # fmt: skip
    book = xlsxwriter.Workbook(out, options)
    page = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF4"})
    for c, (header, _) in enumerate(columns):
        page.write_string(0, c, header, bold)
        page.set_column(c, c, max(10, min(40, len(header) * 3)))
    for r, row in enumerate(rows, start=1):
        for c, (_, read) in enumerate(columns):
            value = _cell(read(row))
            if isinstance(value, int | float):
                page.write_number(r, c, value)
            else:
                page.write_string(r, c, value)
    page.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def export_xlsx(rows: Sequence[Any], columns: Sequence[Column], filename: str) -> HttpResponse:
    """The file as a download (never cached: it holds personal data)."""
    response = HttpResponse(xlsx_bytes(rows, columns), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


def audited_export(
    request: HttpRequest, *, list_name: str, rows: Sequence[Any], columns: Sequence[Column],
    ids: list[int], filters: list[str], filename: str | None = None,
) -> HttpResponse:  # fmt: skip
    """``export_xlsx`` and its audit row, for a list page's view."""
    record_audit(
        actor=request.user, action=AuditAction.LIST_EXPORT,
        details={"list": list_name, "ids": ids, "filters": sorted(filters), "rows": len(ids), "page": "console"},
    )  # fmt: skip
    return export_xlsx(rows, columns, filename or list_name)


def export_link(request: HttpRequest) -> str:
    """The page's own URL with ``format=xlsx`` (its GET filters kept)."""
    query = request.GET.copy()
    query["format"] = "xlsx"
    return f"{request.path}?{query.urlencode()}"
