"""An electronic location order is given, not recorded (社区矫正法 Art. 29): the officer proposes, a county
head over the person decides in the system, and until then nothing is in force — the gateway refuses the
tag's fixes.  A refusal needs a reason; refusals and expiries tell the proposer in their own transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core import notices
from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.devices import assign_device
from backend.monitoring.actions.orders import (
    add_months,
    approve_order,
    approve_renewal,
    expire_undecided,
    propose_order,
    refuse_order,
    refuse_renewal,
    renew_order,
    require_order_for_tag,
    withdraw_order,
)
from backend.monitoring.ingest.directory import order_limits
from backend.monitoring.models import Device, LocationOrder
from backend.people.actions.transitions import transition_case
from backend.supervision.scheduler import job_sweep
from gps_gateway.devices import DeviceInfo
from gps_gateway.filters import FilterLimits
from gps_gateway.ingest import prepare
from gps_gateway.protocols.common import Fix
from gps_gateway.stats import GatewayCounters
from notifications import sender
from notifications.models import Delivery, InboxMessage
from tests.conftest import make_user
from tests.monitoring.order_helpers import grant_order
from tests.people import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SHANGHAI_NOON = dt.time(12)


@pytest.fixture
def head(tree):
    return make_user("county_head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def case(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    return transition_case(by=officers.owner, case=case, action="report")


def propose(officer, case, **overrides) -> LocationOrder:
    values = {"ground": "2", "facts": "未经批准离开本县（测试）", "starts_on": TODAY,
              "ends_on": add_months(TODAY, 3), "notice_signed_on": TODAY, **overrides}  # fmt: skip
    return propose_order(by=officer, case=case, **values)


def audited(order) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="monitoring.locationorder", target_id=str(order.pk))
        .order_by("seq").values_list("action", flat=True)
    )  # fmt: skip


def send_all() -> None:
    while sender.handle_batch():
        pass


def inbox_of(user) -> list[InboxMessage]:
    send_all()
    return list(InboxMessage.objects.filter(recipient=user))


def fixes_kept(tag: Device) -> tuple[int, dict]:
    """What the gateway's ingest does with one fix from this tag now, under the order limit the gateway's
    device directory reads (``order_limits``, as ``DeviceDirectory.refresh`` and ``sync`` do)."""
    device = DeviceInfo(tag.pk, "jt808", tag.identifier, "", tag.person_id, "", kind="tag",
                        order_until=order_limits({tag.person_id}).get(tag.person_id))  # fmt: skip
    counters = GatewayCounters()
    now = timezone.now().replace(microsecond=0)
    fix = Fix(now, 30.1, 120.2, valid=True, accuracy_m=5)
    return len(prepare([fix], device, now, counters, FilterLimits())), dict(counters.rejected)


def test_a_proposed_order_is_not_in_force_and_the_gateway_refuses_the_tags_fixes_until_the_head_approves(
    officers, case, head, tree
):
    tag = Device.objects.create(jurisdiction=tree.township_a1, kind="tag", protocol="jt808",
                                identifier="13800000077", person=case.person)  # fmt: skip
    order = propose(officers.owner, case)
    assert order.decision == "proposed" and order.status(TODAY) == "proposed"
    assert not LocationOrder.objects.in_force(TODAY).exists() and not order.in_force_on(TODAY)
    assert fixes_kept(tag) == (0, {"no_location_order": 1})
    with pytest.raises(Conflict, match="第二十九条"):
        require_order_for_tag(tag, case.person)

    approve_order(by=head, order=order)
    order.refresh_from_db()
    assert (order.decision, order.decided_by, order.approved_on) == ("approved", head, TODAY)
    assert order.status(TODAY) == "active" and list(LocationOrder.objects.in_force(TODAY)) == [order]
    assert fixes_kept(tag) == (1, {})
    require_order_for_tag(tag, case.person)
    assert audited(order) == ["location_order.propose", "location_order.approve"]


def test_a_refusal_needs_a_reason_and_tells_the_proposer_in_the_inbox(officers, case, head):
    order = propose(officers.owner, case)
    with pytest.raises(Invalid, match="理由"):
        refuse_order(by=head, order=order, reason="  ")
    refuse_order(by=head, order=order, reason="事实不清，请补充")
    order.refresh_from_db()
    assert (order.decision, order.decision_reason, order.decided_by) == ("refused", "事实不清，请补充", head)
    (message,) = inbox_of(officers.owner)
    assert "未获批准" in message.title and f"第 {order.pk} 号" in message.body
    assert f"/console/people/{case.person_id}/" in message.body
    # What goes out may be e-mailed: no name, no reason (read on the console).
    assert case.person.name not in message.body and "事实不清" not in message.body
    assert audited(order) == ["location_order.propose", "location_order.refuse"]
    assert not inbox_of(head)


def test_a_refusal_with_no_notice_sender_rolls_back(monkeypatch, officers, case, head):
    order = propose(officers.owner, case)
    monkeypatch.setattr(notices, "_sender", None)
    with pytest.raises(notices.NoNoticeSender):
        refuse_order(by=head, order=order, reason="不予批准（测试）")
    order.refresh_from_db()
    assert order.decision == "proposed" and audited(order) == ["location_order.propose"]
    assert not Delivery.objects.exists()


def test_a_second_decision_is_refused(officers, case, head, tree):
    order = propose(officers.owner, case)
    approve_order(by=head, order=order)
    other = make_user("head_a_two", tree.county_a, Role.COUNTY_HEAD)
    with pytest.raises(Conflict, match="已批准"):
        approve_order(by=other, order=order)
    with pytest.raises(Conflict, match="已批准"):
        refuse_order(by=other, order=order, reason="迟到的不同意见")
    with pytest.raises(Conflict, match="不能撤回"):
        withdraw_order(by=officers.owner, order=order)
    assert audited(order) == ["location_order.propose", "location_order.approve"]


def test_a_decision_on_a_stale_copy_loses_to_the_one_already_made(officers, case, head):
    order = propose(officers.owner, case)
    stale = LocationOrder.objects.get(pk=order.pk)
    refuse_order(by=head, order=order, reason="不予批准（测试）")
    with pytest.raises(Conflict, match="他人审批或撤回"):
        approve_order(by=head, order=stale)
    assert LocationOrder.objects.get(pk=order.pk).decision == "refused"


def test_a_non_head_cannot_approve_and_the_proposer_cannot_approve_his_own_unless_he_is_the_head(
    officers, case, head, tree
):
    order = propose(officers.owner, case)
    county_officer = make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)
    for who in (officers.owner, county_officer):
        with pytest.raises(Forbidden, match="负责人批准"):
            approve_order(by=who, order=order)
        with pytest.raises(Forbidden, match="负责人批准"):
            refuse_order(by=who, order=order, reason="不同意")
    with pytest.raises(Forbidden, match="所在县"):
        approve_order(by=make_user("head_b", tree.county_b, Role.COUNTY_HEAD), order=order)
    withdraw_order(by=officers.owner, order=order)  # the proposer's own move is to withdraw
    # A head who proposes may approve his own proposal: he is the approver Art. 29 names.
    own = propose(head, case)
    assert approve_order(by=head, order=own).decision == "approved"
    assert not Delivery.objects.exists()  # nobody else to tell


def test_only_the_proposer_withdraws_and_a_withdrawn_proposal_cannot_be_approved(officers, case, head, tree):
    order = propose(officers.owner, case)
    colleague = make_user("officer_a1_two", tree.township_a1, Role.TOWNSHIP_OFFICER)
    with pytest.raises(Forbidden, match="提请人"):
        withdraw_order(by=colleague, order=order)
    assert withdraw_order(by=officers.owner, order=order).decision == "withdrawn"
    with pytest.raises(Conflict, match="已撤回"):
        approve_order(by=head, order=order)
    assert audited(order) == ["location_order.propose", "location_order.withdraw"]


def test_one_open_proposal_or_order_per_person(officers, case, head):
    order = propose(officers.owner, case)
    with pytest.raises(Conflict, match="待批准或尚未届满"):
        propose(officers.owner, case)
    refuse_order(by=head, order=order, reason="不予批准（测试）")
    assert propose(officers.owner, case).decision == "proposed"  # a refused one no longer stands in the way


def test_a_proposal_may_not_start_before_it_is_made(officers, case):
    with pytest.raises(Invalid, match="提请日期") as refused:
        propose(officers.owner, case, starts_on=TODAY - dt.timedelta(days=1))
    assert refused.value.details["field"] == "starts_on"
    assert not LocationOrder.objects.exists()


def local_moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, SHANGHAI_NOON))


def test_a_proposal_undecided_by_its_start_date_expires_in_the_sweep_and_tells_the_proposer(
    officers, case, head
):
    start = TODAY + dt.timedelta(days=2)
    order = propose(officers.owner, case, starts_on=start, ends_on=add_months(start, 2))
    assert expire_undecided(local_moment(start)) == 0  # the head may still decide on the start date
    assert job_sweep(local_moment(start + dt.timedelta(days=1))) >= 1
    order.refresh_from_db()
    assert order.decision == "expired" and not LocationOrder.objects.in_force(start).exists()
    (message,) = inbox_of(officers.owner)
    assert "逾期未批" in message.title and "重新提请" in message.body
    with pytest.raises(Conflict, match="逾期未批"):
        approve_order(by=head, order=order)
    assert expire_undecided(local_moment(start + dt.timedelta(days=1))) == 0  # once
    assert audited(order) == ["location_order.propose", "location_order.expire"]


def test_the_grace_after_the_start_date_is_a_rule(officers, case, head, province_rules, tree):
    province_rules(location_order_decision_grace_days=2)
    order = propose(officers.owner, case)
    other = transition_case(
        by=officers.owner, action="report",
        case=factories.correction(officers.owner, factories.person(officers.owner, tree.township_a1)),
    )  # fmt: skip
    lapsing = propose(officers.owner, other)
    assert expire_undecided(local_moment(TODAY + dt.timedelta(days=2))) == 0
    assert approve_order(by=head, order=order, on=TODAY + dt.timedelta(days=2)).decision == "approved"
    assert expire_undecided(local_moment(TODAY + dt.timedelta(days=3))) == 1
    lapsing.refresh_from_db()
    assert lapsing.decision == "expired"


def test_a_renewal_moves_the_end_only_when_approved_and_a_refused_one_tells_the_proposer(
    officers, case, head
):
    order = grant_order(by=officers.owner, case=case, approved_by=head, ground="2", facts="测试", starts_on=TODAY,
                        ends_on=add_months(TODAY, 1), notice_signed_on=TODAY)  # fmt: skip
    first_end = order.ends_on
    renewal = renew_order(
        by=officers.owner, order=order, new_end=add_months(first_end, 2), reassessment="复查：仍需定位"
    )
    order.refresh_from_db()
    assert order.ends_on == first_end and renewal.decision == "proposed"
    with pytest.raises(Conflict, match="待批准的延长"):
        renew_order(by=officers.owner, order=order, new_end=add_months(first_end, 1), reassessment="再次复查")
    refuse_renewal(by=head, renewal=renewal, reason="风险已降低")
    order.refresh_from_db()
    assert order.ends_on == first_end
    (message,) = inbox_of(officers.owner)
    assert "延长未获批准" in message.title
    again = renew_order(
        by=officers.owner, order=order, new_end=add_months(first_end, 1), reassessment="复查：再次"
    )
    assert approve_renewal(by=head, renewal=again).ends_on == add_months(first_end, 1)


def test_an_undecided_renewal_expires_after_the_orders_last_day(officers, case, head):
    order = grant_order(by=officers.owner, case=case, approved_by=head, ground="2", facts="测试", starts_on=TODAY,
                        ends_on=TODAY + dt.timedelta(days=10), notice_signed_on=TODAY)  # fmt: skip
    renewal = renew_order(
        by=officers.owner, order=order, new_end=TODAY + dt.timedelta(days=40), reassessment="复查"
    )
    assert (
        expire_undecided(local_moment(TODAY + dt.timedelta(days=11))) == 0
    )  # the day it would add: still open
    assert expire_undecided(local_moment(TODAY + dt.timedelta(days=12))) == 1
    renewal.refresh_from_db()
    assert renewal.decision == "expired"
    assert "延长逾期未批" in inbox_of(officers.owner)[0].title


def test_a_tag_is_assigned_after_approval_not_before(officers, case, head, tree):
    tag = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier="13800000078"
    )
    order = propose(officers.owner, case)
    with pytest.raises(Conflict, match="经批准"):
        assign_device(by=officers.owner, device=tag, person=case.person)
    approve_order(by=head, order=order)
    assert assign_device(by=officers.owner, device=tag, person=case.person).person == case.person
