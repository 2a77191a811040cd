"""The reminder port (backend/supervision/reminders.py): supervision's handlers remind through it,
notifications registers the sender when ready, and with no sender a reminder fails loudly and is retried
rather than dropped."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import Role
from backend.people.actions.transitions import transition_case
from backend.supervision import reminders
from backend.supervision.handlers.calendar import plan_correction_calendar
from backend.supervision.models import DueKind, DueState
from backend.supervision.sweep import LEASE, sweep
from notifications import reminders as notification_reminders
from notifications.models import Delivery
from tests.conftest import make_user
from tests.monitoring.order_helpers import grant_order
from tests.people import factories
from tests.supervision.calendar_helpers import inbox, local, only

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(tree):
    return make_user("head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def order(tree, officers, head):
    """A location order ending 2026-03-31: its expiry notice is due on 03-24 (test_calendar_orders.py)."""
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person, judgment_effective_on=dt.date(2025, 12, 1),
                                term_start=dt.date(2025, 12, 1), term_end=dt.date(2026, 12, 31))  # fmt: skip
    case = transition_case(by=officers.owner, case=case, action="report", effective_on=dt.date(2025, 12, 5))
    return grant_order(
        by=officers.owner, case=case, ground="2", facts="未经批准离开本县（测试）", approved_by=head,
        approved_on=dt.date(2026, 1, 1), starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 3, 31),
        notice_signed_on=dt.date(2026, 1, 1),
    )  # fmt: skip


def test_notifications_registers_the_reminder_sender_once_it_is_ready():
    sender = reminders.registered()
    assert sender.staff is notification_reminders.remind_staff
    assert sender.people is notification_reminders.remind_people


def test_a_reminder_with_no_sender_registered_raises_instead_of_being_dropped(monkeypatch, officers):
    monkeypatch.setattr(reminders, "_sender", None)
    with pytest.raises(reminders.NoReminderSender):
        reminders.remind_staff(None, [officers.owner], title="提醒", text="测试")
    with pytest.raises(reminders.NoReminderSender):
        reminders.remind_people([], title="提醒")


def test_the_port_passes_each_reminder_to_the_registered_sender_as_it_came(monkeypatch, officers):
    got = []
    monkeypatch.setattr(reminders, "_sender", None)
    reminders.register(staff=lambda item, users, **kw: got.append(("staff", item, users, kw)) or 2,
                       people=lambda pairs, **kw: got.append(("people", pairs, kw)) or 1)  # fmt: skip
    assert reminders.remind_staff("item", [officers.owner], title="标题", text="正文") == 2
    assert reminders.remind_people([("item", "正文")]) == 1
    assert got == [
        ("staff", "item", [officers.owner], {"title": "标题", "text": "正文"}),
        ("people", [("item", "正文")], {"title": "安帮提醒"}),
    ]


def test_an_expiry_notice_with_no_sender_stays_claimed_and_is_sent_after_the_lease(
    monkeypatch, order, officers, head
):
    plan_correction_calendar(local(2026, 3, 20))
    item = only(DueKind.ORDER_EXPIRY_NOTICE)
    with monkeypatch.context() as patched:
        patched.setattr(reminders, "_sender", None)
        assert sweep(local(2026, 3, 24)).get(DueKind.ORDER_EXPIRY_NOTICE, 0) == 0
    item.refresh_from_db()
    assert item.state == DueState.CLAIMED and not Delivery.objects.filter(due_item=item).exists()
    sweep(local(2026, 3, 24) + LEASE + dt.timedelta(seconds=1))
    item.refresh_from_db()
    assert (item.state, item.outcome) == (DueState.DONE, "reminded")
    assert inbox(item) == sorted([officers.owner.pk, head.pk])
