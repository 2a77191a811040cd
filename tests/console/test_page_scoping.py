"""Every console page that shows or changes a record, with the permission trio: the owner's office gets
the page (or its redirect after an action), a colleague in another 司法所 and an officer in another county
get 404 — exactly as the API scopes (docs/security.md, "Scoping")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from backend.monitoring.models import AlertState
from backend.supervision.models import LeaveState
from tests.conftest import Trio
from tests.console import world as w

pytestmark = pytest.mark.django_db


@dataclass
class Page:
    method: str
    path: Callable[[dict], str]
    body: Callable[[dict], dict] = lambda o: {}
    ok: int = 200


PAGES = {
    "person page": Page("GET", lambda o: f"/console/people/{o['world'].person.pk}/"),
    "person track": Page(
        "GET", lambda o: f"/console/people/{o['world'].person.pk}/?from=2026-01-01&to=2026-01-31"
    ),
    "person edit form": Page("GET", lambda o: f"/console/people/{o['world'].person.pk}/edit"),
    "person edit": Page(
        "POST",
        lambda o: f"/console/people/{o['world'].person.pk}/edit",
        lambda o: {"name": o["world"].person.name, "id_number": o["world"].person.id_number},
        ok=302,
    ),
    "alert page": Page("GET", lambda o: f"/console/alerts/{o['alert'].pk}/"),
    "acknowledge alert": Page("POST", lambda o: f"/console/alerts/{o['alert'].pk}/acknowledge", ok=302),
    "assign alert": Page(
        "POST",
        lambda o: f"/console/alerts/{o['alert'].pk}/assign",
        lambda o: {"user_id": o["owner"].pk},
        ok=302,
    ),
    "resolve alert": Page(
        "POST",
        lambda o: f"/console/alerts/{o['alert'].pk}/resolve",
        lambda o: {"resolution": "handled", "note": "已电话核实（测试）"},
        ok=302,
    ),
    "approve leave": Page(
        "POST", lambda o: f"/console/approvals/leave/{o['world'].leave.pk}/approve", ok=302
    ),
    "reject leave": Page(
        "POST",
        lambda o: f"/console/approvals/leave/{o['world'].leave.pk}/reject",
        lambda o: {"note": "理由（测试）"},
        ok=302,
    ),
    "end location order": Page(
        "POST",
        lambda o: f"/console/approvals/orders/{o['world'].order.pk}/end",
        lambda o: {"reason": "解除（测试）"},
        ok=302,
    ),
    # electronic location orders (views/orders.py): the officer's forms; the head's decisions are in
    # tests/core/test_route_coverage.py (the heads' trio)
    "propose location order": Page("GET", lambda o: f"/console/people/{o['world'].person.pk}/orders/new"),
    "propose renewal": Page("GET", lambda o: f"/console/orders/{o['world'].order.pk}/renewals/new"),
    "propose renewal (post)": Page(
        "POST",
        lambda o: f"/console/orders/{o['world'].order.pk}/renewals/new",
        lambda o: {
            "new_end": (o["world"].order.ends_on + dt.timedelta(days=10)).isoformat(),
            "reassessment": "复查（测试）",
        },
        ok=302,
    ),
    # cases and teams
    "open case": Page("GET", lambda o: f"/console/people/{o['world'].person.pk}/cases/new?kind=aftercare"),
    "edit case": Page("GET", lambda o: f"/console/cases/{o['world'].case.pk}/edit"),
    "case transitions": Page(
        "GET", lambda o: f"/console/cases/{o['world'].case.pk}/transitions?action=end_term"
    ),
    "start leave (transition)": Page(
        "POST",
        lambda o: f"/console/cases/{o['world'].case.pk}/transitions",
        lambda o: {"action": "start_leave"},
        ok=302,
    ),
    "category history": Page("GET", lambda o: f"/console/cases/{o['world'].case.pk}/marks"),
    "team": Page("GET", lambda o: f"/console/cases/{o['world'].case.pk}/team"),
    "add team member": Page(
        "POST",
        lambda o: f"/console/cases/{o['world'].case.pk}/team",
        lambda o: {"role": "leader", "gender": "male", "name": "测试组长"},
        ok=302,
    ),
    "activate team": Page("POST", lambda o: f"/console/cases/{o['world'].case.pk}/team/activate", ok=302),
}


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run_page_trio(trio: Trio, page: Page, objects: dict) -> list[int]:
    statuses = []
    for who in (trio.outsider, trio.colleague, trio.owner):  # owner last: its call may change state
        client = as_user(who)
        if page.method == "GET":
            response = client.get(page.path(objects))
        else:
            response = client.post(page.path(objects), page.body(objects))
        statuses.append(response.status_code)
        if response.status_code == 404:
            assert "不在您的工作范围内" in response.content.decode()
    return statuses[::-1]


@pytest.fixture
def objects(tree, officers) -> dict:
    world = w.build(tree, officers)
    return {"world": world, "alert": w.open_alert(world), "owner": officers.owner}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_console_pages_are_scoped_to_the_officers_office(name, officers, objects):
    page = PAGES[name]
    assert run_page_trio(officers, page, objects) == [page.ok, 404, 404]


def test_the_actions_took_effect_for_the_owner_only(officers, objects):
    alert, leave = objects["alert"], objects["world"].leave
    run_page_trio(officers, PAGES["acknowledge alert"], objects)
    run_page_trio(officers, PAGES["approve leave"], objects)
    alert.refresh_from_db()
    leave.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == officers.owner
    assert leave.state == LeaveState.APPROVED and leave.decided_by == officers.owner


def test_lists_show_only_what_the_reader_may_see(officers, objects):
    name, identifier = "测试张三", objects["world"].tag.identifier
    for path in ("/console/", "/console/people/", "/console/alerts/", "/console/approvals/"):
        assert name in as_user(officers.owner).get(path).content.decode(), path
        assert name not in as_user(officers.colleague).get(path).content.decode(), path
    assert identifier in as_user(officers.owner).get("/console/devices/").content.decode()
    assert identifier not in as_user(officers.colleague).get("/console/devices/").content.decode()


def test_exact_search_finds_by_id_number_phone_and_name_within_reach_only(officers, objects):
    person = objects["world"].person
    for field, value in (("id_number", person.id_number), ("phone", w.PERSON_PHONE), ("name", "测试张三")):
        found = as_user(officers.owner).post("/console/people/", {field: value}).content.decode()
        assert f"/console/people/{person.pk}/" in found, field
        missed = as_user(officers.colleague).post("/console/people/", {field: value}).content.decode()
        assert f"/console/people/{person.pk}/" not in missed and "未找到完全匹配的人员" in missed
    near = as_user(officers.owner).post("/console/people/", {"name": "测试张"}).content.decode()
    assert f"/console/people/{person.pk}/" not in near  # exact, not a prefix


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(objects):
    response = Client().get(f"/console/people/{objects['world'].person.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_an_alert_or_device_of_a_file_the_reader_may_not_open_is_shown_without_name_or_locations(
    tree, officers
):
    """The office sees its subtree's alerts and devices, but not a sealed file's name or whereabouts
    without a grant — as the API, which lists the alert's person_id and answers 404 for the person."""
    from backend.core.models import AuditEvent
    from backend.people.models import Person

    world = w.build(tree, officers)
    alert = w.open_alert(world)
    client = as_user(officers.owner)
    assert client.get(f"/console/alerts/{alert.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="alert.read").last().details["zones"]  # the zone, before
    Person.objects.filter(pk=world.person.pk).update(is_sealed=True)  # sealed; the officer holds no grant
    assert client.get(f"/console/people/{world.person.pk}/").status_code == 404
    for path in ("/console/", "/console/alerts/", f"/console/alerts/{alert.pk}/", "/console/devices/"):
        page = client.get(path).content.decode()
        assert "测试张三" not in page and "（受限档案）" in page, path
    assert AuditEvent.objects.filter(action="alert.read").last().details["zones"] == []
    assert world.tag.identifier in client.get("/console/devices/").content.decode()  # the device stays
    listed = AuditEvent.objects.filter(action="person.list", details__page="console.dashboard").last()
    assert world.person.pk not in listed.details["ids"]
