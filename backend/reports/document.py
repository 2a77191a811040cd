"""The printed page every report shares: A4, CJK font, header and footer, numbered pages, tables.

Header: the issuing office on the left, "内部资料 注意保密" on the right.  Footer: who printed it and when,
and "第 N 页 共 M 页" (the total is known only after the last page, so the canvas keeps every page's state
and draws the furniture on save).  A faint diagonal mark with the printer's username makes a leaked copy
traceable, as offices do with internal papers.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from backend.reports.fonts import font_name

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARKING = "内部资料 注意保密"
RED = colors.HexColor("#b71c1c")
GRID = colors.HexColor("#808080")
HEAD_FILL = colors.HexColor("#e8e8e8")
MARGIN = 18 * mm


@dataclass(frozen=True)
class Meta:
    title: str
    office: str
    printed_by: str
    printed_at: dt.datetime

    @property
    def printed_at_text(self) -> str:
        return self.printed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local(moment: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(SHANGHAI).strftime(fmt) if moment else "—"


class Styles:
    """Paragraph styles in the report font; CJK word wrap so a long Chinese line breaks anywhere."""

    def __init__(self) -> None:
        font = font_name()
        base = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=12)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5)
        self.head_cell = ParagraphStyle("head_cell", parent=self.cell, alignment=TA_CENTER)
        self.title = ParagraphStyle(
            "title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=4 * mm
        )
        self.subtitle = ParagraphStyle("subtitle", parent=base, alignment=TA_CENTER, textColor=GRID)
        self.h1 = ParagraphStyle(
            "h1", parent=base, fontSize=13.5, leading=20, spaceBefore=5 * mm, spaceAfter=2 * mm
        )
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontSize=11, leading=16, spaceBefore=3 * mm, spaceAfter=1 * mm
        )
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
        self.note = ParagraphStyle("note", parent=self.small, textColor=colors.HexColor("#555555"))


def escape(value: object) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell_text(value: object) -> str:
    """A cell's markup: a list becomes one line per item."""
    if isinstance(value, list | tuple):
        return "<br/>".join(escape(v) for v in value) if value else "—"
    return escape(value)


class _NumberedCanvas(canvas.Canvas):
    def __init__(self, *args, meta: Meta, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._meta = meta
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._furniture(total)
            super().showPage()
        super().save()

    def _furniture(self, total: int) -> None:
        meta, font = self._meta, font_name()
        width, height = A4
        self.saveState()
        top = height - 11 * mm
        self.setFont(font, 9)
        self.setFillColor(colors.black)
        self.drawString(MARGIN, top, meta.office)
        self.setFillColor(RED)
        self.drawRightString(width - MARGIN, top, MARKING)
        self.setStrokeColor(RED)
        self.setLineWidth(0.8)
        self.line(MARGIN, top - 2.5 * mm, width - MARGIN, top - 2.5 * mm)
        bottom = 10 * mm
        self.setStrokeColor(GRID)
        self.setLineWidth(0.4)
        self.line(MARGIN, bottom + 4 * mm, width - MARGIN, bottom + 4 * mm)
        self.setFillColor(colors.black)
        self.setFont(font, 8.5)
        self.drawString(
            MARGIN, bottom, f"{meta.title}　打印人：{meta.printed_by}　打印时间：{meta.printed_at_text}"
        )
        self.drawRightString(width - MARGIN, bottom, f"第 {self._pageNumber} 页 共 {total} 页")
        # The faint diagonal mark: whoever printed this copy.
        self.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.12))
        self.setFont(font, 26)
        self.translate(width / 2, height / 2)
        self.rotate(35)
        self.drawCentredString(0, 0, f"{MARKING}　{meta.printed_by}")
        self.restoreState()


def build(meta: Meta, story: list) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=meta.title,
        author=meta.office,
        creator="安帮",
        subject=MARKING,
    )
    doc.build(story, canvasmaker=lambda *a, **kw: _NumberedCanvas(*a, meta=meta, **kw))
    return buffer.getvalue()


def frame_width() -> float:
    return A4[0] - 2 * MARGIN


def table(
    styles: Styles,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[float] | None = None,
    *,
    empty: str = "无记录",
) -> Table | Paragraph:
    """A ruled table with a grey header row repeated on every page; cells wrap (CJK)."""
    body = [[Paragraph(cell_text(v), styles.cell) for v in row] for row in rows]
    if not body:
        return Paragraph(escape(empty), styles.note)
    data = [[Paragraph(escape(h), styles.head_cell) for h in header], *body]
    if widths is not None:
        total = sum(widths)
        widths = [frame_width() * w / total for w in widths]
    result = Table(data, colWidths=widths, repeatRows=1)
    result.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return result


def fields_table(styles: Styles, pairs: Sequence[tuple[str, object]], columns: int = 2) -> Table:
    """Label/value pairs in ``columns`` pairs per row, like the boxes of a printed form."""
    cells = [(Paragraph(escape(k), styles.cell), Paragraph(escape(v), styles.cell)) for k, v in pairs]
    rows = []
    for start in range(0, len(cells), columns):
        chunk = cells[start : start + columns]
        while len(chunk) < columns:
            chunk.append((Paragraph("", styles.cell), Paragraph("", styles.cell)))
        rows.append([part for pair in chunk for part in pair])
    label_w, value_w = 0.14, 0.36 if columns == 2 else 0.86
    widths = [frame_width() * (label_w if i % 2 == 0 else value_w) * (2 / columns if columns > 2 else 1)
              for i in range(2 * columns)]  # fmt: skip
    result = Table(rows, colWidths=widths)
    style = [("GRID", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    style += [("BACKGROUND", (i, 0), (i, -1), HEAD_FILL) for i in range(0, 2 * columns, 2)]
    result.setStyle(TableStyle(style))
    return result


def heading(styles: Styles, text: str) -> list:
    # Keep a heading off the foot of a page: break if less than ~3 cm remain.
    return [CondPageBreak(30 * mm), Paragraph(escape(text), styles.h1)]


def signature_block(styles: Styles, roles: Sequence[str] = ("经办人", "审核人", "负责人")) -> KeepTogether:
    line = "　　　　".join(f"{r}（签字）：＿＿＿＿＿＿" for r in roles)
    return KeepTogether(
        [
            Spacer(1, 10 * mm),
            Paragraph(escape(line), styles.body),
            Spacer(1, 8 * mm),
            Paragraph("（单位盖章）　　　　年　　月　　日", styles.right),
        ]
    )


def title_block(styles: Styles, title: str, subtitle: str) -> list:
    return [Spacer(1, 4 * mm), Paragraph(escape(title), styles.title), Paragraph(escape(subtitle), styles.subtitle),
            Spacer(1, 4 * mm)]  # fmt: skip
