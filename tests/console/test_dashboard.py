"""The dashboard's figures for one officer, computed independently from the fixtures: my open alerts by
due time, counts by kind, the three-colour board, offline devices, check-ins missed today, approvals."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Device, LocationOrder
from backend.people.actions.cases import record_mark
from backend.people.actions.transitions import transition_case
from tests.console import world as w
from tests.people import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section class="card[^"]*" id="{element_id}">(.*?)</section>', page, re.S)
    assert match, element_id
    return match.group(1)


def test_the_dashboard_shows_my_work_and_nothing_of_other_offices(tree, officers, settings):
    settings.CONSOLE_REFRESH_SECONDS = 30
    world = w.build(tree, officers)
    sos = w.open_alert(world)  # critical: due first
    missed, _ = raise_alert(kind="missed_checkin", severity="medium", person=world.person, subject="week:1")
    calm = factories.person(officers.owner, tree.township_a1, name="测试李四")
    case = transition_case(
        by=officers.owner, case=factories.correction(officers.owner, calm), action="report"
    )
    record_mark(by=officers.owner, case=case, kind="category", value="lenient", effective_on=timezone.localdate(),
                reason="表现良好（测试）")  # fmt: skip
    Device.objects.filter(pk=world.tag.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=2))
    other = factories.person(officers.colleague, tree.township_a2, name="测试王五")
    factories.correction(officers.colleague, other)
    raise_alert(kind="sos", severity="critical", person=other, subject="x")

    page = signed_in(officers.owner).get("/console/").content.decode()
    mine = section(page, "my-alerts")
    assert mine.index(f'data-alert="{sos.pk}"') < mine.index(f'data-alert="{missed.pk}"')  # by due time
    assert "测试王五" not in page
    assert "紧急求助：<b>1</b>" in mine and "未按时签到或报告：<b>1</b>" in mine
    board = section(page, "board")
    assert re.search(r'data-colour="red">1<', board) and re.search(r'data-colour="green">1<', board)
    assert re.search(r'data-colour="yellow">0<', board)
    assert "测试张三" in board and "测试李四" not in board  # green names are counted, not listed
    assert "脚环一号" in section(page, "devices-offline")
    assert f"/console/alerts/{missed.pk}/" in section(page, "missed-today")
    assert f"外出申请 {world.leave.pk}" in section(page, "approvals-waiting")
    # Each list names the person (read for all of them in one query).
    for element_id in ("my-alerts", "devices-offline", "missed-today", "approvals-waiting"):
        assert "测试张三" in section(page, element_id), element_id
    assert 'data-refresh="30"' in page


def test_the_county_head_is_shown_orders_about_to_end(tree, officers):
    world = w.build(tree, officers)
    LocationOrder.objects.filter(pk=world.order.pk).update(
        ends_on=timezone.localdate() + dt.timedelta(days=3)
    )
    page = signed_in(world.head).get("/console/").content.decode()
    assert "即将届满的电子定位（1）" in page and "测试张三" in page


def test_the_map_gets_the_configured_tiles_and_their_datum(tree, officers, settings):
    world = w.build(tree, officers)
    client = signed_in(officers.owner)
    assert '"tileUrl": ""' in client.get(f"/console/people/{world.person.pk}/").content.decode()
    settings.CONSOLE_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    settings.CONSOLE_TILE_CRS = "gcj02"
    page = client.get(f"/console/people/{world.person.pk}/").content.decode()
    assert '"tileUrl": "https://tiles.example/{z}/{x}/{y}.png"' in page and '"tileCrs": "gcj02"' in page


def test_the_county_head_renews_a_location_order_from_the_console(tree, officers):
    world = w.build(tree, officers)
    new_end = world.order.ends_on + dt.timedelta(days=30)
    response = signed_in(world.head).post(
        f"/console/approvals/orders/{world.order.pk}/renew",
        {"new_end": new_end.isoformat(), "reassessment": "复查评估：仍需定位（测试）"},
        follow=True,
    )
    assert f"已延长第 {world.order.pk} 号电子定位" in response.content.decode()
    world.order.refresh_from_db()
    assert world.order.ends_on == new_end
    refused = signed_in(world.head).post(f"/console/approvals/orders/{world.order.pk}/renew", {}, follow=True)
    assert "请填写新的届满日期" in refused.content.decode()


def test_a_county_head_who_holds_no_case_sees_everyone_in_reach_with_an_open_case_on_the_board(
    tree, officers
):
    world = w.build(tree, officers)
    w.open_alert(world)  # 测试张三 of township a1: red
    other = factories.person(officers.colleague, tree.township_a2, name="测试王五")
    factories.correction(officers.colleague, other)  # the head's county too
    factories.person(officers.colleague, tree.township_a2, name="测试赵六")  # no case: not on the board
    board = section(signed_in(world.head).get("/console/").content.decode(), "board")
    assert "测试张三" in board and "测试王五" in board and "测试赵六" not in board


def test_the_dashboard_reads_each_list_once_whatever_it_shows(tree, officers, django_assert_num_queries):
    """No query per row: the names of every list come in one query, however many rows there are."""
    world = w.build(tree, officers)
    w.open_alert(world)
    raise_alert(kind="missed_checkin", severity="medium", person=world.person, subject="week:1")
    Device.objects.filter(pk=world.tag.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=2))
    client = signed_in(officers.owner)
    client.get("/console/")
    with CaptureQueriesContext(connection) as counted:
        client.get("/console/?fragment=1")
    few = len(counted.captured_queries)
    for n in range(3):
        extra = factories.person(officers.owner, tree.township_a1, name=f"测试对象{n}")
        factories.correction(officers.owner, extra)
        raise_alert(kind="missed_checkin", severity="medium", person=extra, subject="week:1")
    client.get("/console/?fragment=1")  # new names on the page: its audit row
    with django_assert_num_queries(few):
        page = client.get("/console/?fragment=1").content.decode()
    assert all(f"测试对象{n}" in section(page, "missed-today") for n in range(3))


def test_proposals_waiting_for_my_decision_are_counted_on_the_dashboard(tree, officers):
    """The county head sees the location orders an officer proposed; the county's officer the sanctions a
    司法所 proposed; the proposing officer sees neither (the decision is not theirs)."""
    from backend.monitoring.actions.orders import add_months, propose_order
    from backend.supervision.actions.sanctions import record_sanction
    from tests.supervision.sanction_helpers import county_officer_of

    world = w.build(tree, officers)
    today = timezone.localdate()
    other = factories.person(officers.owner, tree.township_a1, name="测试李四", birth=dt.date(1981, 2, 3))
    case = transition_case(
        by=officers.owner, case=factories.correction(officers.owner, other), action="report"
    )
    propose_order(by=officers.owner, case=case, ground="2", facts="未经批准离开本县（测试）", starts_on=today,
                  ends_on=add_months(today, 2), notice_signed_on=today)  # fmt: skip
    record_sanction(by=officers.owner, case=world.case, kind="warning", reason="未按规定报告（测试）")
    head = section(signed_in(world.head).get("/console/").content.decode(), "approvals-waiting")
    assert "电子定位提请待批准：<b>1</b> 件" in head
    county = section(
        signed_in(county_officer_of(world.case)).get("/console/").content.decode(), "approvals-waiting"
    )
    assert "奖惩提请待决定：<b>1</b> 件" in county
    mine = section(signed_in(officers.owner).get("/console/").content.decode(), "approvals-waiting")
    assert "待批准" not in mine and "待决定" not in mine
