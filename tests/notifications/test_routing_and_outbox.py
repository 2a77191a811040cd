"""Who hears of an alert: built-in routes by severity and escalation, rules, and the outbox's uniqueness."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.core.models import Role
from backend.monitoring.actions.alerts import escalate_due, raise_alert
from notifications.actions import save_routing_rule
from notifications.models import Delivery, RoutingRule
from notifications.outbox import plan_deliveries
from notifications.routing import memoised, routes_for
from tests.conftest import make_user
from tests.notifications.conftest import reachable

pytestmark = pytest.mark.django_db


def routes(alert, step=0) -> set[tuple[str, str]]:
    return set(Delivery.objects.filter(alert=alert, step=step).values_list("recipient__username", "channel"))


def test_a_high_alert_reaches_its_owner_in_the_inbox_by_sms_and_by_email(channels, subject, officers):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    assert routes(alert) == {("owner", "inbox"), ("owner", "sms"), ("owner", "email")}


def test_a_medium_alert_skips_sms_and_a_low_alert_only_reaches_the_inbox(channels, subject):
    person, case = subject
    medium, _ = raise_alert(kind="power_cut", severity="medium", person=person, case=case)
    low, _ = raise_alert(kind="low_battery", severity="low", person=person, case=case)
    assert routes(medium) == {("owner", "inbox"), ("owner", "email")}
    assert routes(low) == {("owner", "inbox")}


def test_channels_not_set_up_on_this_installation_are_not_queued(settings, subject):
    settings.SMS_PROVIDER, settings.EMAIL_HOST = "", ""
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert routes(alert) == {("owner", "inbox")}


def test_a_recipient_without_a_contact_point_gets_the_inbox_only(channels, tree, officers):
    from tests.people import factories

    person = factories.person(officers.colleague, tree.township_a2)
    case = factories.correction(officers.colleague, person)
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert routes(alert) == {("colleague", "inbox")}


def test_an_alert_committed_without_its_deliveries_is_impossible(channels, subject):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert Delivery.objects.filter(alert=alert).count() == 3  # same transaction as the alert row


def test_a_repeat_of_an_open_alert_queues_nothing_new(channels, subject):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    assert plan_deliveries(alert, 0) == 3  # the routes exist …
    assert Delivery.objects.filter(alert=alert).count() == 3  # … and are queued once


def test_escalation_queues_the_next_level_for_the_supervisor_once(channels, subject, supervisor, tree):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    later = timezone.now() + dt.timedelta(hours=2)
    assert escalate_due(later) == 1
    assert escalate_due(later) == 0  # the same sweep again moves nothing and queues nothing
    assert routes(alert, 1) == {("supervisor_a", "inbox"), ("supervisor_a", "sms"), ("supervisor_a", "email")}
    assert Delivery.objects.filter(alert=alert).count() == 6


def test_without_a_supervisor_escalation_goes_to_the_county_head_then_to_office_staff(
    channels, subject, tree
):
    person, case = subject
    head = make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    escalate_due(timezone.now() + dt.timedelta(hours=1))
    assert routes(alert, 1) == {(head.username, "inbox")}


def test_a_rule_adds_the_police_liaison_for_suspected_absconding(channels, subject, tree):
    person, case = subject
    county_admin = make_user("admin_county_a", tree.county_a, Role.ADMIN)
    liaison = make_user("police_a1", tree.township_a1, Role.POLICE_LIAISON)
    reachable(liaison, mobile="13800000077")
    save_routing_rule(by=county_admin, rule=RoutingRule(
        jurisdiction=tree.county_a, name="脱管通报派出所", kinds=["absconding"], role=Role.POLICE_LIAISON,
        channels=["sms"]))  # fmt: skip
    absconding, _ = raise_alert(kind="absconding", severity="critical", person=person, case=case)
    breach, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    assert {("police_a1", "inbox"), ("police_a1", "sms")} <= routes(absconding)
    assert not {r for r in routes(breach) if r[0] == "police_a1"}


def test_a_rule_outside_the_alerts_branch_of_the_tree_does_not_apply(channels, subject, tree, admins):
    person, case = subject
    other = make_user("police_b1", tree.township_b1, Role.POLICE_LIAISON)
    save_routing_rule(by=admins.outsider, rule=RoutingRule(
        jurisdiction=tree.township_b1, name="乙县规则", user=other, channels=["inbox"]))  # fmt: skip
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    assert "police_b1" not in {r[0] for r in routes(alert)}


def test_memoised_routing_reads_each_office_once_and_routes_exactly_as_without(channels, subject):
    person, case = subject
    first, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    second, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:1")
    plain = [routes_for(first, 0), routes_for(second, 0)]
    with memoised():
        with CaptureQueriesContext(connection) as warm:
            routes_for(first, 0)
        with CaptureQueriesContext(connection) as cached:
            memo = [routes_for(first, 0), routes_for(second, 0)]
    assert memo == plain
    assert len(warm) == 2  # the rules of the office's branch and the owner's contact points
    assert len(cached) == 0


def test_a_contact_point_added_after_a_memoised_block_is_routed_to_by_the_next(channels, tree, officers):
    from notifications.routing import memoised, routes_for
    from tests.people import factories

    person = factories.person(officers.colleague, tree.township_a2)
    case = factories.correction(officers.colleague, person)
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    with memoised():
        assert {r.channel for r in routes_for(alert, 0)} == {"inbox"}
        reachable(officers.colleague, mobile="13800000055")
        assert {r.channel for r in routes_for(alert, 0)} == {"inbox"}  # the block's own reading
    with memoised():
        assert {r.channel for r in routes_for(alert, 0)} == {"inbox", "sms", "email"}
