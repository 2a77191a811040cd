"""The alert contract's event side (backend/monitoring/alert_events.py): subscribers hear of every step an
alert reaches, inside the transaction that opens or escalates it, and nothing else."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.core.rules import rules
from backend.monitoring import alert_events
from backend.monitoring.actions.alerts import escalate_due, raise_alert
from backend.monitoring.models import Alert, AlertEvent
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    """Only a recorder subscribed: (alert id, step, the alert's row and OPENED entry already written)."""
    monkeypatch.setattr(alert_events, "_subscribers", [])
    calls: list[tuple[int, int, bool]] = []

    def record(alert, step):
        written = AlertEvent.objects.filter(alert_id=alert.pk, kind=AlertEvent.Kind.OPENED).exists()
        calls.append((alert.pk, step, written))

    alert_events.subscribe(record)
    return calls


@pytest.fixture
def subject(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    return person, factories.correction(officers.owner, person)


def test_an_alert_opened_tells_each_subscriber_once_at_step_zero_after_its_row_is_written(heard, subject):
    person, case = subject
    alert, created = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert created and heard == [(alert.pk, 0, True)]


def test_a_repeat_of_an_unresolved_alert_tells_no_subscriber(heard, subject):
    person, case = subject
    raise_alert(kind="sos", severity="critical", person=person, case=case)
    raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert len(heard) == 1


def test_a_subscriber_that_fails_rolls_its_alert_back(monkeypatch, subject):
    monkeypatch.setattr(alert_events, "_subscribers", [])

    def broken(alert, step):
        raise RuntimeError("subscriber down")

    alert_events.subscribe(broken)
    person, case = subject
    with pytest.raises(RuntimeError, match="subscriber down"):
        raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert not Alert.objects.exists()
    assert not AuditEvent.objects.filter(action="alert.open").exists()


def test_an_alert_opened_already_escalated_is_told_at_its_level(heard, subject, tree):
    person, case = subject
    alert, _ = raise_alert(kind="notify_failed", severity="high", person=person, case=case, subject="alert:1",
                           route_to=tree.county_a, level=1)  # fmt: skip
    assert heard == [(alert.pk, 1, True)]


def test_escalation_tells_subscribers_each_next_step_and_nothing_once_at_the_top(heard, subject):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    later = timezone.now()
    for _ in range(6):  # more sweeps than there are levels above a 司法所 in the test tree
        later += dt.timedelta(days=1)
        escalate_due(later)
    top = min(rules().alert_max_escalation_levels, 3)  # township → county → city → province
    assert heard == [(alert.pk, step, True) for step in range(top + 1)]


def test_an_escalation_whose_subscriber_fails_is_rolled_back(monkeypatch, heard, subject):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)

    def broken(alert, step):
        raise RuntimeError("subscriber down")

    alert_events.subscribe(broken)
    with pytest.raises(RuntimeError):
        escalate_due(timezone.now() + dt.timedelta(days=1))
    alert.refresh_from_db()
    assert (alert.escalation_level, alert.escalated_to_id) == (0, None)
    assert not AlertEvent.objects.filter(alert=alert, kind=AlertEvent.Kind.ESCALATED).exists()


def test_with_nothing_subscribed_an_alert_still_opens(monkeypatch, subject):
    monkeypatch.setattr(alert_events, "_subscribers", [])
    person, case = subject
    alert, created = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert created and Alert.objects.filter(pk=alert.pk).exists()


def test_subscribing_the_same_function_twice_keeps_one(heard, subject):
    (recorder,) = alert_events.subscribers()
    alert_events.subscribe(recorder.on_step)
    assert alert_events.subscribers() == (recorder,)
    person, case = subject
    raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert len(heard) == 1


def test_a_batch_holds_every_subscribers_context_around_the_work_and_releases_it(monkeypatch):
    monkeypatch.setattr(alert_events, "_subscribers", [])
    log: list[str] = []

    def context(name):
        @contextmanager
        def held():
            log.append(f"enter {name}")
            yield
            log.append(f"exit {name}")

        return held

    alert_events.subscribe(lambda alert, step: None, batch=context("a"))
    alert_events.subscribe(lambda alert, step: None)  # no batch context: nothing to hold
    alert_events.subscribe(lambda alert, step: None, batch=context("b"))
    with alert_events.batch():
        log.append("work")
    assert log == ["enter a", "enter b", "work", "exit b", "exit a"]


def test_an_alert_whose_caller_rolls_back_is_gone_though_its_subscribers_were_told(heard, subject):
    person, case = subject
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_alert(kind="sos", severity="critical", person=person, case=case)
        raise RuntimeError("caller failed")
    assert len(heard) == 1 and not Alert.objects.exists()
