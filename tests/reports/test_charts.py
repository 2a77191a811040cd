"""Charts draw what the tables say (issue #23, item 17): a rate with no denominator (the table's "—") is no bar,
labelled 无数据, while a true 0 % stays a bar of height 0 labelled 0.0."""

from __future__ import annotations

import pytest
from reportlab.graphics.shapes import Group, Rect, String
from reportlab.graphics.widgetbase import Widget

from backend.core.models import Role
from backend.reports.charts import BAR, bar_chart
from backend.reports.exports import monthly_statistics
from tests.conftest import make_user
from tests.reports.conftest import needs_poppler, pdf_text


def shapes(drawing):
    """Every primitive shape the drawing renders (its charts expanded into their bars and labels)."""
    found, stack = [], [drawing]
    while stack:
        node = stack.pop()
        if isinstance(node, Widget):
            stack.append(node.draw())  # a chart, an axis, a label: drawn into a group of shapes
        elif isinstance(node, Group):
            stack.extend(node.contents)
        else:
            found.append(node)
    return found


def bars(drawing) -> list[Rect]:
    return [s for s in shapes(drawing) if isinstance(s, Rect) and s.fillColor == BAR]


def texts(drawing) -> list[str]:
    return [s.text for s in shapes(drawing) if isinstance(s, String)]


def test_a_rate_without_a_denominator_is_no_bar_and_is_labelled_no_data():
    chart = bar_chart(
        "主要指标（%）", ["按期报到率", "衔接率", "帮教率"], [50.0, None, 0.0], width=400, label_format="%.1f"
    )
    assert len(bars(chart)) == 1  # 50 %; a bar of 0 % has no height, only its label
    labels = texts(chart)
    # The rate without a denominator has no bar and says so; a true 0 % keeps its label.
    assert labels.count("无数据") == 1 and "50.0" in labels and labels.count("0.0") == 1


def test_a_chart_with_no_data_at_all_draws_no_bar():
    chart = bar_chart("主要指标（%）", ["按期报到率", "衔接率"], [None, None], width=400, label_format="%.1f")
    assert bars(chart) == [] and texts(chart).count("无数据") == 2


@needs_poppler
@pytest.mark.django_db
def test_the_monthly_pdf_of_a_quiet_month_says_no_data_instead_of_drawing_zero_bars(tree, tmp_path):
    officer = make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)
    export, _ = monthly_statistics(by=officer, code=tree.county_a.code, month="2026-08")
    text = pdf_text(export.content, tmp_path)
    assert "按期报到率 0 0 —" in text  # the table
    assert text.count("无数据") >= 6 and "0.0" not in text  # the chart: six rates, none drawn as a 0 bar
