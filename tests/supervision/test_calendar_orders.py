"""Location orders in the calendar (社区矫正法 Art. 29): notice 7 days before the end and at the end, to
the officer and the county head who approves renewals; a renewal plans anew."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import Role
from backend.monitoring.actions.orders import end_order
from backend.people.actions.transitions import transition_case
from backend.supervision.handlers.calendar import plan_correction_calendar
from backend.supervision.models import DueKind
from backend.supervision.sweep import sweep
from notifications.models import Delivery
from tests.conftest import make_user
from tests.monitoring.order_helpers import grant_order, renew_and_approve
from tests.people import factories
from tests.supervision.calendar_helpers import MINUTE, SHANGHAI, inbox, items, local, only

pytestmark = pytest.mark.django_db


@pytest.fixture
def heads(tree):
    return {
        "a": make_user("head_a", tree.county_a, Role.COUNTY_HEAD),
        "b": make_user("head_b", tree.county_b, Role.COUNTY_HEAD),
        "deputy": make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER),
    }


@pytest.fixture
def order(tree, officers, heads):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person, judgment_effective_on=dt.date(2025, 12, 1),
                                term_start=dt.date(2025, 12, 1), term_end=dt.date(2026, 12, 31))  # fmt: skip
    case = transition_case(by=officers.owner, case=case, action="report", effective_on=dt.date(2025, 12, 5))
    return grant_order(
        by=officers.owner, case=case, ground="2", facts="未经批准离开本县（测试）", approved_by=heads["a"],
        approved_on=dt.date(2026, 1, 1), starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 3, 31),
        notice_signed_on=dt.date(2026, 1, 1),
    )  # fmt: skip


def test_the_expiry_notice_reaches_the_officer_and_the_county_head_seven_days_before_the_end(
    order, officers, heads
):
    plan_correction_calendar(local(2026, 3, 20))
    item = only(DueKind.ORDER_EXPIRY_NOTICE)
    assert (item.subject, item.due_at, item.case_id) == (
        f"order:{order.pk}:2026-03-31",
        local(2026, 3, 24),
        order.case_id,
    )
    sweep(local(2026, 3, 24) - MINUTE)
    assert inbox(item) == []
    sweep(local(2026, 3, 24))
    assert inbox(item) == sorted([officers.owner.pk, heads["a"].pk])
    assert "2026-03-31" in Delivery.objects.filter(due_item=item).first().details["text"]


def test_the_expired_reminder_comes_when_the_last_day_is_over_in_shanghai(order, officers, heads):
    plan_correction_calendar(local(2026, 3, 28))
    item = only(DueKind.ORDER_EXPIRED)
    end = dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC)
    assert item.due_at == end == local(2026, 4, 1)
    sweep(end - MINUTE)
    assert inbox(item) == []
    sweep(end)
    assert inbox(item) == sorted([officers.owner.pk, heads["a"].pk])


def test_a_renewal_plans_anew_and_the_old_reminders_finish_stale(order, officers, heads):
    plan_correction_calendar(local(2026, 3, 20))
    renew_and_approve(by=officers.owner, order=order, new_end=dt.date(2026, 6, 30), reassessment="复查：仍需定位",
                      approved_by=heads["a"], approved_on=dt.date(2026, 3, 21))  # fmt: skip
    sweep(local(2026, 4, 1))
    old = items(DueKind.ORDER_EXPIRY_NOTICE) + items(DueKind.ORDER_EXPIRED)
    assert [(i.outcome, inbox(i)) for i in old] == [("stale", []), ("stale", [])]
    plan_correction_calendar(local(2026, 6, 20))
    renewed = only(DueKind.ORDER_EXPIRY_NOTICE, state="pending")
    assert (renewed.subject, renewed.due_at) == (f"order:{order.pk}:2026-06-30", local(2026, 6, 23))
    assert renewed.due_at.astimezone(SHANGHAI).date() == dt.date(2026, 6, 23)


def test_an_order_ended_early_needs_no_expiry_reminder(order, officers, heads):
    plan_correction_calendar(local(2026, 3, 20))
    end_order(by=officers.owner, order=order, on=dt.date(2026, 3, 21), reason="复查后提前解除")
    sweep(local(2026, 3, 24))
    item = only(DueKind.ORDER_EXPIRY_NOTICE)
    assert (item.outcome, inbox(item)) == ("not_needed", [])
