"""The alert pipeline: one unresolved alert per subject, lifecycle with history, escalation up the tree."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone

from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.alerts import (
    acknowledge_alert,
    auto_resolve,
    escalate_due,
    raise_alert,
    resolve_alert,
)
from backend.monitoring.models import Alert, AlertEvent, AlertState
from tests.conftest import make_user
from tests.core.test_scoping import Case, run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def subject(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    return person, case


def test_a_repeat_counts_on_the_open_alert_instead_of_opening_another(subject):
    person, case = subject
    first, created = raise_alert(
        kind="zone_exit", severity="high", person=person, case=case, subject="zone:1"
    )
    assert created and first.owner == case.officer
    again, created = raise_alert(
        kind="zone_exit", severity="high", person=person, case=case, subject="zone:1"
    )
    assert not created and again.pk == first.pk and again.occurrences == 2
    other_zone, created = raise_alert(kind="zone_exit", severity="high", person=person, subject="zone:2")
    assert created and other_zone.pk != first.pk


def test_after_resolution_the_next_occurrence_opens_a_new_alert(subject, officers):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    resolve_alert(alert=alert, by=officers.owner, resolution="handled", note="电话核实已返回（测试）")
    newer, created = raise_alert(
        kind="zone_exit", severity="high", person=person, case=case, subject="zone:1"
    )
    assert created and newer.pk != alert.pk


def test_a_worse_repeat_raises_the_severity_and_brings_the_due_time_forward(subject):
    person, case = subject
    alert, _ = raise_alert(kind="signal_lost", severity="low", person=person, case=case)
    worse, _ = raise_alert(kind="signal_lost", severity="critical", person=person, case=case)
    assert worse.severity == "critical" and worse.due_at < alert.due_at
    assert AlertEvent.objects.filter(alert=alert, kind="severity_raised").exists()


@pytest.mark.django_db(transaction=True)
def test_many_raises_at_once_leave_one_alert(subject):
    person, case = subject

    def worker():
        try:
            for _ in range(5):
                raise_alert(kind="sos", severity="critical", person=person, case=case)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    alert = Alert.objects.get(kind="sos")
    assert alert.occurrences == 20


def test_a_tamper_alert_never_resolves_itself(subject, officers):
    person, case = subject
    tamper, _ = raise_alert(kind="tamper", severity="critical", person=person, case=case)
    with pytest.raises(Conflict, match="只能由工作人员办结"):
        auto_resolve(alert=tamper, reason="strap closed again")
    assert Alert.objects.get(pk=tamper.pk).state == AlertState.OPEN
    breach, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    assert auto_resolve(alert=breach, reason="back inside").resolution == "cleared"


def test_resolving_needs_a_conclusion_and_a_note_and_happens_once(subject, officers):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case)
    with pytest.raises(Invalid):
        resolve_alert(alert=alert, by=officers.owner, resolution="handled", note="  ")
    with pytest.raises(Invalid):
        resolve_alert(alert=alert, by=officers.owner, resolution="cleared", note="系统专用结论")
    resolved = resolve_alert(
        alert=alert, by=officers.owner, resolution="false_alarm", note="定位漂移（测试）"
    )
    assert resolved.state == AlertState.RESOLVED and resolved.resolution_note == "定位漂移（测试）"
    with pytest.raises(Conflict):
        resolve_alert(alert=alert, by=officers.owner, resolution="handled", note="再次办结")
    kinds = list(AlertEvent.objects.filter(alert=alert).values_list("kind", flat=True))
    assert kinds == ["opened", "resolved"]
    assert AuditEvent.objects.filter(action="alert.resolve", target_id=str(alert.pk)).count() == 1


def test_a_team_member_cannot_resolve(subject, tree):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case)
    with pytest.raises(Forbidden):
        acknowledge_alert(alert=alert, by=make_user("volunteer", tree.grid_a1, Role.TEAM_MEMBER))


def test_an_unacknowledged_alert_climbs_one_level_per_due_interval(subject, tree, officers):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="critical", person=person, case=case)
    opened = alert.opened_at
    assert escalate_due(opened + dt.timedelta(minutes=14)) == 0
    assert escalate_due(opened + dt.timedelta(minutes=15)) == 1
    alert.refresh_from_db()
    assert (alert.escalation_level, alert.escalated_to) == (1, tree.county_a)  # the 司法所's parent
    assert escalate_due(opened + dt.timedelta(minutes=20)) == 0  # not due again yet
    assert escalate_due(opened + dt.timedelta(minutes=30)) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2 and alert.escalated_to == tree.county_a.parent
    county_supervisor = make_user("supervisor_a", tree.county_a, Role.SUPERVISOR)
    assert Alert.objects.visible_to(county_supervisor).filter(pk=alert.pk).exists()


def test_an_acknowledged_alert_does_not_escalate(subject, officers):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="critical", person=person, case=case)
    acknowledge_alert(alert=alert, by=officers.owner)
    assert escalate_due(alert.opened_at + dt.timedelta(hours=5)) == 0


def test_two_sweeps_at_once_escalate_an_alert_once(subject):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="critical", person=person, case=case)
    later = alert.opened_at + dt.timedelta(minutes=16)
    assert escalate_due(later) + escalate_due(later) == 1
    assert AlertEvent.objects.filter(alert=alert, kind="escalated").count() == 1


def test_the_top_of_the_tree_keeps_reminding_without_climbing_further(subject, tree):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="critical", person=person, case=case)
    moment = alert.opened_at
    for _ in range(8):
        moment += dt.timedelta(minutes=16)
        escalate_due(moment)
    alert.refresh_from_db()
    assert alert.escalated_to == tree.province and alert.escalation_level == 3


@pytest.fixture
def objects(subject):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case)
    return {"alert": alert, "officer": case.officer}


ENDPOINTS = {
    "get alert": Case("GET", lambda o: f"/api/v1/alerts/{o['alert'].pk}"),
    "acknowledge alert": Case(
        "POST", lambda o: f"/api/v1/alerts/{o['alert'].pk}/acknowledge", lambda o: {"note": "收到"}
    ),
    "assign alert": Case(
        "POST",
        lambda o: f"/api/v1/alerts/{o['alert'].pk}/assign",
        lambda o: {"user_id": o["officer"].pk, "note": "请核实"},
    ),
    "resolve alert": Case(
        "POST",
        lambda o: f"/api/v1/alerts/{o['alert'].pk}/resolve",
        lambda o: {"resolution": "handled", "note": "已核实"},
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_alert_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [200, 404, 404]


def test_the_alert_list_holds_only_what_the_reader_may_see(officers, objects, api):
    def ids(user):
        return {a["id"] for a in api(user).get("/api/v1/alerts?state=open").json()["items"]}

    assert objects["alert"].pk in ids(officers.owner)
    assert objects["alert"].pk not in ids(officers.colleague) | ids(officers.outsider)


def test_the_alert_detail_shows_the_history(officers, objects, api):
    client = api(officers.owner)
    client.post(f"/api/v1/alerts/{objects['alert'].pk}/acknowledge", {"note": "已电话联系（测试）"})
    detail = client.get(f"/api/v1/alerts/{objects['alert'].pk}").json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "acknowledged"]
    assert detail["events"][1]["note"] == "已电话联系（测试）"
    assert timezone.now() - dt.datetime.fromisoformat(detail["events"][1]["at"]) < dt.timedelta(minutes=1)
