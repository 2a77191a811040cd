"""Orders recorded before approvals were given in the system (migration monitoring 0012) stay in force: they
become approved, decided by the approver they named when they were recorded; their renewals too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("monitoring", "0011_registration_binding_implausible_fixes_counted_excursions")]
AFTER = [("monitoring", "0012_location_order_decision")]


@pytest.mark.django_db(transaction=True)
def test_orders_recorded_before_the_change_are_approved_by_the_approver_they_named(tree, officers):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Person, Case = old.get_model("people", "Person"), old.get_model("people", "Case")
    Order, Renewal = (
        old.get_model("monitoring", "LocationOrder"),
        old.get_model("monitoring", "LocationOrderRenewal"),
    )
    User = old.get_model("core", "User")
    head, officer = User.objects.get(pk=officers.colleague.pk), User.objects.get(pk=officers.owner.pk)
    person = Person.objects.create(jurisdiction_id=tree.township_a1.pk, name="x", created_by=officer)
    case = Case.objects.create(person=person, kind="correction", status="active", jurisdiction_id=tree.township_a1.pk,
                               opened_on=dt.date(2026, 1, 1), officer=officer)  # fmt: skip
    order = Order.objects.create(person=person, case=case, ground="2", facts="测试", approved_by=head,
                                 approved_on=dt.date(2026, 1, 1), starts_on=dt.date(2026, 1, 1),
                                 ends_on=dt.date(2026, 3, 31), notice_signed_on=dt.date(2026, 1, 1),
                                 created_by=officer)  # fmt: skip
    Renewal.objects.create(order=order, previous_end=dt.date(2026, 3, 31), new_end=dt.date(2026, 6, 30),
                           reassessment="复查", approved_by=head, approved_on=dt.date(2026, 3, 20))  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    order = new.get_model("monitoring", "LocationOrder").objects.get(pk=order.pk)
    assert (order.decision, order.decided_by_id, order.proposed_by_id) == ("approved", head.pk, officer.pk)
    assert order.decided_at is not None and order.approved_on == dt.date(2026, 1, 1)
    renewal = new.get_model("monitoring", "LocationOrderRenewal").objects.get(order_id=order.pk)
    assert (renewal.decision, renewal.decided_by_id, renewal.proposed_by_id) == (
        "approved",
        head.pk,
        officer.pk,
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
