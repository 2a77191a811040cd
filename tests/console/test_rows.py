"""The people-list rows and board links are built in Python: every value from the database is escaped."""

from __future__ import annotations

from typing import NamedTuple

from backend.console.templatetags.console_rows import name_links, people_rows

HOSTILE = '<script>alert("x")</script>&'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"


class BoardEntry(NamedTuple):  # the shape of console.dashboard.BoardEntry
    pk: int
    name: str
    colour: str


def test_a_name_with_markup_is_shown_as_text_in_the_people_list():
    row = people_rows([{
        "id": 7, "name": HOSTILE, "gender": "female", "age": 31, "id_number_masked": "990101********123X",
        "is_minor": True, "colour": "red", "open_cases": [{"kind": "correction"}, {"kind": "mental_health"}],
    }])  # fmt: skip
    assert "<script>" not in row and ESCAPED in row
    assert '<a href="/console/people/7/">' in row and '<span class="dot red" title="red">' in row
    assert "<td>女</td>" in row and "<td>31</td>" in row and "未成年" in row
    assert '<span class="badge">社区矫正</span> <span class="badge">精神障碍</span>' in row


def test_missing_values_show_a_dash_and_no_badge():
    row = people_rows([{
        "id": 8, "name": "测试对象", "gender": "unknown", "age": None, "id_number_masked": "",
        "is_minor": False, "colour": "green", "open_cases": [],
    }])  # fmt: skip
    assert row.count("<td>—</td>") == 3 and "badge" not in row


def test_a_name_with_markup_is_shown_as_text_on_the_board():
    links = name_links([BoardEntry(3, HOSTILE, "red"), BoardEntry(4, "测试对象", "red")])
    assert "<script>" not in links and ESCAPED in links
    assert links.endswith('<li><a href="/console/people/4/">测试对象</a></li>')
