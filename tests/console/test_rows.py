"""The console's rows (people list, colour board, and the template-drawn dashboard and alert rows): every value
from the database is escaped."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

import pytest
from django.test import Client
from django.utils import timezone

from backend.console.templatetags.console_rows import name_links, people_rows
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Device, LocationOrder
from tests.console import world as w

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


@pytest.mark.django_db
def test_a_name_with_markup_is_shown_as_text_on_every_dashboard_row_and_list(tree, officers):
    world = w.build(tree, officers, name=HOSTILE)
    w.open_alert(world)  # red: named on the board, and a row of my alerts
    raise_alert(kind="missed_checkin", severity="medium", person=world.person, subject="week:1")
    Device.objects.filter(pk=world.tag.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=2))
    LocationOrder.objects.filter(pk=world.order.pk).update(
        ends_on=timezone.localdate() + dt.timedelta(days=3)
    )

    for user, path, parts in (
        (
            officers.owner,
            "/console/",
            ("my-alerts", "board", "devices-offline", "missed-today", "approvals-waiting"),
        ),
        (world.head, "/console/", ("approvals-waiting",)),  # the orders about to end
        (officers.owner, "/console/people/", ("people",)),
        (officers.owner, "/console/alerts/", ("tbody",)),
    ):
        client = Client()
        client.force_login(user)
        page = client.get(path).content.decode()
        assert "<script>alert" not in page, path
        for part in parts:
            assert ESCAPED in _element(page, part), (path, part)


def _element(page: str, part: str) -> str:
    """The inside of the section or table with id ``part``, or of the page's (only) ``tbody``."""
    opening = "<tbody>" if part == "tbody" else rf'<(?:section|table)[^>]* id="{part}"[^>]*>'
    match = re.search(rf"{opening}(.*?)</(?:section|table|tbody)>", page, re.S)
    assert match, part
    return match.group(1)
