"""Sensitive console pages write the same audit rows as the API reads they mirror — ids and periods,
never names, ID numbers or phones."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backend.core.models import AuditEvent
from tests.console import world as w

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, officers):
    return w.build(tree, officers)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(action: str):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_opening_a_person_page_audits_the_read_and_the_track_period(officers, world):
    response = signed_in(officers.owner).get(
        f"/console/people/{world.person.pk}/?from=2026-03-01&to=2026-03-05"
    )
    assert response.status_code == 200
    [read] = rows("person.read")
    assert (read.actor, read.target_type, read.target_id) == (
        officers.owner,
        "people.person",
        str(world.person.pk),
    )
    assert read.details == {"access": "full", "page": "console"}
    [track] = rows("person.read_track")
    assert track.details == {"from": "2026-03-01", "to": "2026-03-05", "points": 0, "page": "console"}


def test_a_refused_person_page_writes_no_read(officers, world):
    assert signed_in(officers.colleague).get(f"/console/people/{world.person.pk}/").status_code == 404
    assert rows("person.read") == []


def test_opening_an_alert_page_audits_the_read_with_the_zones_shown(officers, world):
    alert = w.open_alert(world)
    assert signed_in(officers.owner).get(f"/console/alerts/{alert.pk}/").status_code == 200
    [read] = rows("alert.read")
    assert read.target_id == str(alert.pk) and read.details == {
        "page": "console",
        "fixes": 0,
        "zones": [world.zone.pk],
    }


def test_an_exact_search_is_audited_without_the_searched_value(officers, world):
    signed_in(officers.owner).post("/console/people/", {"id_number": world.person.id_number})
    [search] = rows("person.search")
    assert search.details == {"ids": [world.person.pk], "filters": ["id_number"], "page": "console"}
    stored = json.dumps(search.details, ensure_ascii=False)
    assert world.person.id_number not in stored and "测试张三" not in stored


def test_the_dashboard_audits_the_people_it_names_once_until_they_change(officers, world):
    client = signed_in(officers.owner)
    client.get("/console/")
    client.get("/console/?fragment=1")
    client.get("/console/?fragment=1")
    assert [r.details for r in rows("person.list")] == [
        {"ids": [world.person.pk], "page": "console.dashboard"}
    ]
    w.open_alert(world)  # the same person again: still no new row
    client.get("/console/?fragment=1")
    assert len(rows("person.list")) == 1


def test_the_dashboard_counts_green_people_without_reading_or_auditing_their_names(tree, officers, world):
    from django.utils import timezone

    from backend.people.actions.cases import record_mark
    from backend.people.actions.transitions import transition_case
    from tests.people import factories

    calm = factories.person(officers.owner, tree.township_a1, name="测试李四")
    case = transition_case(
        by=officers.owner, case=factories.correction(officers.owner, calm), action="report"
    )
    record_mark(by=officers.owner, case=case, kind="category", value="lenient", effective_on=timezone.localdate(),
                reason="表现良好（测试）")  # fmt: skip
    page = signed_in(officers.owner).get("/console/").content.decode()
    assert 'data-colour="green">1<' in page and "测试李四" not in page
    assert [r.details["ids"] for r in rows("person.list")] == [[world.person.pk]]


def test_handling_an_alert_in_the_console_goes_through_the_action_and_its_audit(officers, world):
    alert = w.open_alert(world)
    client = signed_in(officers.owner)
    client.post(f"/console/alerts/{alert.pk}/acknowledge", {"note": "已看到（测试）"})
    client.post(f"/console/alerts/{alert.pk}/resolve", {"resolution": "handled", "note": "已核实（测试）"})
    assert [r.action for r in AuditEvent.objects.filter(target_id=str(alert.pk), target_type="monitoring.alert")
            .exclude(action="alert.read").order_by("seq")] == ["alert.open", "alert.acknowledge", "alert.resolve"]  # fmt: skip
    page = client.get(f"/console/alerts/{alert.pk}/").content.decode()
    assert "已看到（测试）" in page and "已核实（测试）" in page and "已办结" in page
