"""Bar and line charts (reportlab.graphics) with Chinese labels, sized to the page frame."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.textlabels import NA_Label
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from backend.reports.fonts import font_name

BAR = colors.HexColor("#34659a")
NO_DATA = "无数据"
LINES = (colors.HexColor("#b71c1c"), colors.HexColor("#34659a"), colors.HexColor("#2e7d32"))


def _nice_max(value: float) -> int:
    """An axis top a little above the largest value, on a round step, so bars never touch the frame."""
    if value <= 5:
        return 5
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= step * factor:
            top = step * factor
            return int(top if top > value else top + step)
    return int(value * 1.2)


def _title(drawing: Drawing, text: str, width: float, height: float) -> None:
    drawing.add(String(width / 2, height - 12, text, fontName=font_name(), fontSize=10, textAnchor="middle"))


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: float,
    height: float = 62 * mm,
    label_format: str = "%d",
) -> Drawing:
    """A bar per value; a value of None (a rate with no denominator: "—" in the tables) is no bar, labelled
    无数据 where the bar would stand — never drawn as a bar of 0."""
    font = font_name()
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 32, 38
    chart.width, chart.height = width - 50, height - 62
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = list(labels) or ["—"]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(max((v for v in values if v is not None), default=0))
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = label_format
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    chart.naLabel = NA_Label()
    chart.naLabel.text = NO_DATA
    chart.naLabel.fontName = font
    chart.naLabel.fontSize = 7
    chart.naLabel.nudge = 6
    drawing.add(chart)
    return drawing


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: float,
    height: float = 62 * mm,
) -> Drawing:
    font = font_name()
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 32, 30
    chart.width, chart.height = width - 50, height - 62
    chart.data = [list(values) or [0] for _, values in series]
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(max((max(v, default=0) for _, v in series), default=0))
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    for index in range(len(series)):
        chart.lines[index].strokeColor = LINES[index % len(LINES)]
        chart.lines[index].strokeWidth = 1.4
    drawing.add(chart)
    # The legend, drawn by hand so it uses the CJK font.
    x = chart.x
    for index, (name, _) in enumerate(series):
        colour = LINES[index % len(LINES)]
        drawing.add(String(x + 14, height - 26, name, fontName=font, fontSize=8, fillColor=colour))
        drawing.add(Line(x, height - 23, x + 11, height - 23, strokeColor=colour, strokeWidth=2))
        x += 20 + 9 * len(name)
    return drawing
