"""Alerts flow one way to notifications: monitoring declares the alert contract (backend/monitoring/
alerting.py, alert_events.py) and notifications subscribes to it when ready; supervision's reminders go
through its own port.  Nothing below notifications imports it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from backend.monitoring import alert_events
from backend.monitoring.actions.alerts import escalate_due, raise_alert
from backend.monitoring.models import Alert
from backend.supervision import due
from backend.supervision.models import DueItem, DueKind, DueState
from backend.supervision.sweep import sweep
from notifications import routing
from notifications.models import Delivery
from notifications.outbox import plan_deliveries
from notifications.sender import report_failure

ROOT = Path(__file__).resolve().parents[2]


def imports_of(package: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(file, module imported, names) for every import in the package, inside functions too."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module, tuple(a.name for a in node.names)))
            elif isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), a.name, ()) for a in node.names]
    return found


@pytest.mark.parametrize("package", ["backend/monitoring", "backend/supervision"])
def test_no_module_below_notifications_imports_it(package):
    assert [i for i in imports_of(package) if i[1].split(".")[0] == "notifications"] == []


def test_notifications_raises_alerts_only_through_the_alert_contract():
    raising = [(f, m) for f, m, names in imports_of("notifications") if "raise_alert" in names]
    assert raising and all(module == "backend.monitoring.alerting" for _, module in raising), raising
    assert not [i for i in imports_of("notifications") if i[1] == "backend.monitoring.alert_events"]


def test_notifications_plans_deliveries_for_every_alert_step_once_it_is_ready():
    subscribed = [s for s in alert_events.subscribers() if s.on_step is plan_deliveries]
    assert len(subscribed) == 1 and subscribed[0].batch is routing.memoised


@pytest.mark.django_db(transaction=True)
def test_an_alert_opened_plans_its_deliveries_in_the_same_transaction(monkeypatch, channels, subject):
    seen = []

    def after_notifications(alert, step):  # subscribed after notifications, so its deliveries exist
        seen.append(
            (connection.in_atomic_block, Delivery.objects.filter(alert_id=alert.pk, step=step).count())
        )

    monkeypatch.setattr(alert_events, "_subscribers", list(alert_events._subscribers))
    alert_events.subscribe(after_notifications)
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert seen == [(True, 3)]  # inside raise_alert's transaction: committed with the alert, never without
    assert Delivery.objects.filter(alert=alert).count() == 3


@pytest.mark.django_db
def test_an_alert_rolled_back_leaves_no_delivery(channels, subject):
    person, case = subject
    with pytest.raises(RuntimeError), transaction.atomic():
        raise_alert(kind="sos", severity="critical", person=person, case=case)
        assert Delivery.objects.count() == 3
        raise RuntimeError("the caller's transaction fails after the alert")
    assert not Alert.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_an_alert_whose_deliveries_cannot_be_planned_is_not_opened(monkeypatch, channels, subject):
    def broken(alert, step):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(alert_events, "_subscribers", [])
    alert_events.subscribe(broken)
    person, case = subject
    with pytest.raises(RuntimeError):
        raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert not Alert.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_with_nothing_subscribed_an_alert_opens_without_deliveries(monkeypatch, channels, subject):
    monkeypatch.setattr(alert_events, "_subscribers", [])
    person, case = subject
    alert, created = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert created and not Delivery.objects.filter(alert=alert).exists()


@pytest.mark.django_db
def test_escalation_plans_the_next_steps_deliveries_and_is_undone_with_them(
    monkeypatch, channels, subject, supervisor
):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    later = timezone.now() + dt.timedelta(hours=2)

    def fail_after_planning(alert, step):
        assert Delivery.objects.filter(alert_id=alert.pk, step=step).count() == 3
        raise RuntimeError("escalation fails after its deliveries were planned")

    with monkeypatch.context() as patched:
        patched.setattr(alert_events, "_subscribers", list(alert_events._subscribers))
        alert_events.subscribe(fail_after_planning)
        with pytest.raises(RuntimeError):
            escalate_due(later)
    assert not Delivery.objects.filter(alert=alert, step=1).exists()  # rolled back with the escalation
    assert escalate_due(later) == 1
    told = set(Delivery.objects.filter(alert=alert, step=1).values_list("recipient__username", "channel"))
    assert told == {("supervisor_a", "inbox"), ("supervisor_a", "sms"), ("supervisor_a", "email")}


@pytest.mark.django_db
def test_a_failed_delivery_raises_its_alert_through_the_contract_a_level_up(
    monkeypatch, channels, subject, supervisor
):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    steps = []
    monkeypatch.setattr(alert_events, "_subscribers", list(alert_events._subscribers))
    alert_events.subscribe(lambda opened, step: steps.append((opened.kind, step)))
    with transaction.atomic():
        report_failure(Delivery.objects.get(alert=alert, channel="email"), "smtp_550")
    assert steps == [("notify_failed", 1)]
    failed = Alert.objects.get(kind="notify_failed")
    assert Delivery.objects.filter(alert=failed, step=1, recipient=supervisor).exists()


@pytest.mark.django_db
def test_a_sweep_batch_routes_its_alerts_with_the_routing_memo(monkeypatch, tree):
    now = timezone.now()
    DueItem.objects.create(kind=DueKind.MH_FOLLOWUP, subject="memo:1", jurisdiction=tree.township_a1,
                           due_at=now - dt.timedelta(minutes=1))  # fmt: skip
    memo_held = []

    def handler(items, when):
        memo_held.append(routing._memo.get() is not None)
        due.finish(items, "ok", when)

    monkeypatch.setitem(due.HANDLERS, DueKind.MH_FOLLOWUP, handler)
    assert routing._memo.get() is None
    assert sweep(now)[DueKind.MH_FOLLOWUP] == 1
    assert memo_held == [True] and routing._memo.get() is None
    assert DueItem.objects.get(subject="memo:1").state == DueState.DONE
