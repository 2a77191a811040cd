"""An office sees and handles every alert of its subtree, but an alert about a file the reader may not open
(a minor's or sealed file without a grant) shows no more of that person than its ids: no details, no
handling notes — in the API, on the console page and in the alert log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from backend.monitoring.actions.alerts import acknowledge_alert, resolve_alert
from backend.people.models import Person
from tests.console import world as w

pytestmark = pytest.mark.django_db

NOTE = "备注标记（测试）"
RESOLUTION = "处置标记（测试）"


@pytest.fixture
def alert(tree, officers):
    world = w.build(tree, officers)
    alert = w.open_alert(world)
    acknowledge_alert(alert=alert, by=officers.owner, note=NOTE)
    return alert


def seal(alert) -> None:
    Person.objects.filter(pk=alert.person_id).update(is_sealed=True)  # the owner holds no grant


def test_an_alert_about_a_file_out_of_reach_keeps_its_ids_but_no_details_or_notes(officers, alert, api):
    client = api(officers.owner)
    shown = client.get(f"/api/v1/alerts/{alert.pk}").json()
    assert shown["details"] and NOTE in [e["note"] for e in shown["events"]] and not shown["restricted"]
    seal(alert)
    hidden = client.get(f"/api/v1/alerts/{alert.pk}").json()
    assert hidden["person_id"] == alert.person_id and hidden["restricted"]
    assert hidden["details"] == {} and [e["note"] for e in hidden["events"]] == [None, None]
    assert [e["details"] for e in hidden["events"]] == [{}, {}]
    listed = [a for a in client.get("/api/v1/alerts").json()["items"] if a["id"] == alert.pk]
    assert listed[0]["details"] == {} and listed[0]["restricted"]
    # It can still be handled, and the answer holds no more than the read did.
    done = client.post(f"/api/v1/alerts/{alert.pk}/resolve", {"resolution": "handled", "note": RESOLUTION})
    assert (
        done.status_code == 200 and done.json()["details"] == {} and RESOLUTION not in done.content.decode()
    )
    assert client.get(f"/api/v1/alerts/{alert.pk}").json()["resolution_note"] is None


def test_the_console_alert_page_of_a_file_out_of_reach_shows_no_notes(officers, alert):
    resolve_alert(alert=alert, by=officers.owner, resolution="handled", note=RESOLUTION)
    client = Client()
    client.force_login(officers.owner)
    page = client.get(f"/console/alerts/{alert.pk}/").content.decode()
    assert NOTE in page and RESOLUTION in page
    seal(alert)
    page = client.get(f"/console/alerts/{alert.pk}/").content.decode()
    assert NOTE not in page and RESOLUTION not in page and "（受限档案）" in page


def test_the_alert_log_of_a_file_out_of_reach_prints_no_resolution_note(tree, officers, alert, api):
    resolve_alert(alert=alert, by=officers.owner, resolution="handled", note=RESOLUTION)
    day = timezone.localdate(alert.opened_at).isoformat()
    path = f"/api/v1/reports/alerts.csv?jurisdiction={tree.township_a1.code}&from={day}&to={day}"
    assert RESOLUTION in api(officers.owner).get(path).content.decode()
    seal(alert)
    csv = api(officers.owner).get(path).content.decode()
    assert str(alert.pk) in csv and RESOLUTION not in csv and "测试张三" not in csv
