"""Electronic location orders (社区矫正法 Art. 29): who may order a tag, for how long, and what happens after."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.models import Role
from backend.monitoring.actions.devices import assign_device
from backend.monitoring.actions.orders import (
    add_months,
    approve_order,
    approve_renewal,
    end_order,
    propose_order,
    renew_order,
)
from backend.monitoring.models import Alert, Device, GatewayStats, LocationOrder, Position
from backend.people.actions.transitions import transition_case
from tests.conftest import make_user
from tests.core.test_scoping import Case, run_trio
from tests.monitoring.order_helpers import grant_order
from tests.people import factories
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def head(tree):
    return make_user("county_head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def case(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    return transition_case(by=officers.owner, case=case, action="report")


def grant(officer, case, head, **overrides):
    values = {
        "ground": "2", "facts": "未经批准离开本县（测试）", "approved_by": head, "approved_on": TODAY,
        "starts_on": TODAY, "ends_on": add_months(TODAY, 3), "notice_signed_on": TODAY, **overrides,
    }  # fmt: skip
    return grant_order(by=officer, case=case, **values)


def test_an_order_needs_one_of_the_five_grounds(officers, case, head):
    with pytest.raises(Invalid, match="五种情形"):
        grant(officers.owner, case, head, ground="6")


def test_only_the_county_head_may_approve(officers, case, tree):
    deputy = make_user("officer_county", tree.county_a, Role.COUNTY_OFFICER)
    order = propose_order(by=officers.owner, case=case, ground="2", facts="测试", starts_on=TODAY,
                          ends_on=add_months(TODAY, 3), notice_signed_on=TODAY)  # fmt: skip
    with pytest.raises(Forbidden, match="负责人批准"):
        approve_order(by=deputy, order=order)
    other_head = make_user("head_b", tree.county_b, Role.COUNTY_HEAD)
    with pytest.raises(Forbidden, match="所在县"):
        approve_order(by=other_head, order=order)


def test_a_term_may_not_exceed_three_months(officers, case, head):
    with pytest.raises(Invalid, match="不得超过 3 个月"):
        grant(officers.owner, case, head, ends_on=add_months(TODAY, 3) + dt.timedelta(days=1))
    assert grant(officers.owner, case, head).ends_on == add_months(TODAY, 3)


def test_a_renewal_needs_a_reassessment_and_is_at_most_three_months(officers, case, head):
    order = grant(officers.owner, case, head)
    with pytest.raises(Invalid, match="复查评估"):
        renew_order(by=officers.owner, order=order, new_end=add_months(order.ends_on, 1), reassessment=" ")
    with pytest.raises(Invalid, match="不得超过"):
        renew_order(
            by=officers.owner,
            order=order,
            new_end=add_months(order.ends_on, 4),
            reassessment="复查：仍有脱管风险",
        )
    renewal = renew_order(by=officers.owner, order=order, new_end=add_months(order.ends_on, 3),
                          reassessment="复查：仍有脱管风险")  # fmt: skip
    order.refresh_from_db()
    assert order.ends_on == add_months(TODAY, 3)  # proposed: the end moves only when the head approves
    renewed = approve_renewal(by=head, renewal=renewal)
    assert renewed.ends_on == add_months(add_months(TODAY, 3), 3) and renewed.renewals.count() == 1


def test_only_a_subject_under_correction_can_be_ordered_to_wear_a_tag(officers, tree, head):
    patient = factories.person(officers.owner, tree.township_a1)
    mh = factories.mental_health(officers.owner, patient)
    with pytest.raises(Conflict, match="在矫的社区矫正对象"):
        grant(officers.owner, mh, head)


def test_a_tag_is_assigned_only_under_an_order_in_force_but_a_phone_check_needs_none(
    officers, case, head, tree
):
    tag = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier="13800000001"
    )
    phone = Device.objects.create(
        jurisdiction=tree.township_a1, kind="phone", protocol="osmand", identifier="x" * 64
    )
    with pytest.raises(Conflict, match="第二十九条"):
        assign_device(by=officers.owner, device=tag, person=case.person)
    assign_device(by=officers.owner, device=phone, person=case.person)
    grant(officers.owner, case, head)
    assert assign_device(by=officers.owner, device=tag, person=case.person).person == case.person


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_after_an_order_ends_the_tags_fixes_are_refused_and_the_officer_is_told_to_remove_it(
    tmp_path, officers, case, head, tree
):
    tag = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier="13800138001"
    )
    order = grant(officers.owner, case, head)
    assign_device(by=officers.owner, device=tag, person=case.person)
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.location(timezone.now().replace(microsecond=0), 30.1, 120.2) == 0
        end_order(by=officers.owner, order=order, on=TODAY, reason="表现良好，提前解除（测试）")
        time.sleep(1.5)  # the gateway re-reads devices twice a second in tests (5 s in production)
        refused_at = timezone.now().replace(microsecond=0) + dt.timedelta(seconds=1)
        assert terminal.location(refused_at, 30.1, 120.2) == 0  # acknowledged, so the tag does not resend…
        deadline = time.monotonic() + 10
        while not Alert.objects.filter(kind="order_ended_tag").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        terminal.close()
    assert not Position.objects.filter(fix_time=refused_at).exists()  # …but nothing is stored
    assert Position.objects.count() == 1
    alert = Alert.objects.get(kind="order_ended_tag")
    assert alert.person == case.person and alert.owner == case.officer
    assert (alert.case, alert.device) == (order.case, tag)  # the case the tag was worn under, and the tag
    assert GatewayStats.objects.get().counters["rejected"]["no_location_order"] == 1


@pytest.fixture
def objects(officers, case, head):
    return {"order": grant(officers.owner, case, head), "case": case, "head": head}


ENDPOINTS = {
    "get order": Case("GET", lambda o: f"/api/v1/location-orders/{o['order'].pk}"),
    "end order": Case("POST", lambda o: f"/api/v1/location-orders/{o['order'].pk}/end", lambda o: {"reason": "解除（测试）"}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_order_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [200, 404, 404]


def test_renewing_an_order_is_scoped_to_the_officers_office(officers, objects, api):
    renew = Case(
        "POST", lambda o: f"/api/v1/location-orders/{o['order'].pk}/renew",
        lambda o: {"new_end": str(add_months(o["order"].ends_on, 1)), "reassessment": "复查（测试）"},
    )  # fmt: skip
    assert run_trio(officers, renew, objects, api) == [201, 404, 404]


def test_an_order_is_proposed_through_the_api_and_listed_as_active_once_the_head_approves(
    officers, case, head, api
):
    body = {
        "case_id": case.pk, "ground": "1", "facts": "违反禁止令（测试）", "starts_on": str(TODAY),
        "ends_on": str(add_months(TODAY, 2)), "notice_signed_on": str(TODAY),
    }  # fmt: skip
    created = api(officers.owner).post("/api/v1/location-orders", body)
    assert created.status_code == 201 and created.json()["status"] == "proposed"
    assert api(officers.owner).get("/api/v1/location-orders?status=active").json()["items"] == []
    approved = api(head).post(f"/api/v1/location-orders/{created.json()['id']}/approve", {})
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    listed = api(officers.owner).get("/api/v1/location-orders?status=active").json()["items"]
    assert [o["id"] for o in listed] == [created.json()["id"]]
    assert api(officers.colleague).get("/api/v1/location-orders").json()["items"] == []
    too_long = api(officers.owner).post(
        "/api/v1/location-orders", {**body, "ends_on": str(add_months(TODAY, 4))}
    )
    assert too_long.status_code == 422


def test_an_order_ended_early_from_a_future_date_is_in_force_until_that_date_everywhere(officers, case, head):
    """Art. 29's one in-force rule: the order list, the queries and the gateway's tag limit agree."""
    from backend.monitoring.ingest.directory import order_limits

    today = timezone.localdate()
    order = grant(officers.owner, case, head, approved_on=today, starts_on=today, notice_signed_on=today,
                  ends_on=add_months(today, 3))  # fmt: skip
    lifted = today + dt.timedelta(days=7)
    order = end_order(by=officers.owner, order=order, on=lifted, reason="提前解除，自下周起（测试）")
    assert order.status(today) == "active"
    assert list(LocationOrder.objects.in_force(today)) == [order]
    assert order_limits({case.person_id}) == {case.person_id: lifted - dt.timedelta(days=1)}
    assert order.status(lifted) == "ended"
    assert not LocationOrder.objects.in_force(lifted).exists()


@pytest.mark.parametrize("lifted_after_days", [None, -3, 0, 5, 200])
def test_the_order_lists_status_and_the_in_force_query_agree_on_every_day_of_a_term(
    officers, case, head, lifted_after_days
):
    today = timezone.localdate()
    order = grant(officers.owner, case, head, approved_on=today, starts_on=today + dt.timedelta(days=2),
                  notice_signed_on=today, ends_on=today + dt.timedelta(days=30))  # fmt: skip
    if lifted_after_days is not None:
        LocationOrder.objects.filter(pk=order.pk).update(
            ended_early_on=order.starts_on + dt.timedelta(days=lifted_after_days)
        )
        order.refresh_from_db()
    for offset in range(-5, 40):
        day = today + dt.timedelta(days=offset)
        in_force = LocationOrder.objects.in_force(day).filter(pk=order.pk).exists()
        assert (order.status(day) == "active") == in_force == order.in_force_on(day), day
