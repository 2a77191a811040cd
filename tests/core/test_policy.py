"""Who may act is one policy (``backend.core.policy``): each app declares its rules at start, and this table
says what they are.  A changed rule fails here first; each app's own permission tests check the decisions
on real records."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from backend.core import policy
from backend.core.errors import Forbidden
from backend.core.models import Role
from backend.people.models import CaseKind
from backend.supervision.models import HEALTH_KINDS, FollowUpKind
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

OFFICE = ("admin", "county_head", "county_officer", "supervisor", "township_officer")
OFFICE_AND_HEALTH = (
    "admin",
    "county_head",
    "county_officer",
    "health_worker",
    "supervisor",
    "township_officer",
)
HEALTH = ("health_worker",)

# action: ([(roles, condition on the object)], where the object must lie)
EXPECTED = {
    "directory.manage": ([(("admin",), "")], "in_own_subtree"),
    "person.edit": ([(OFFICE_AND_HEALTH, "")], ""),
    "person.grant": ([(("admin", "county_head"), "")], ""),
    "person.import": ([(OFFICE, "")], ""),
    "case.open": ([(OFFICE, ""), (HEALTH, "mental_health_kind")], ""),
    "case.manage": ([(OFFICE, ""), (HEALTH, "mental_health_case")], ""),
    "case.edit_health_details": ([(HEALTH, "")], ""),
    "case.edit_criminal_details": ([(OFFICE, "")], ""),
    "case.read_emergencies": ([(HEALTH, "")], ""),
    "alert.handle": ([(OFFICE, ""), ("*", "assigned_to_them")], ""),
    "device.manage": ([(OFFICE, "")], ""),
    "person.read_track": ([(OFFICE, "")], ""),
    "zone.create": ([(OFFICE, "")], ""),
    "zone.update": ([(OFFICE, "")], ""),
    "zone_layer.manage": ([(OFFICE, "")], "layer_in_own_subtree"),
    "location_order.propose": ([(OFFICE, "")], ""),
    "location_order.withdraw": ([("*", "proposed_it")], ""),
    "location_order.renew": ([(OFFICE, "")], ""),
    "location_order.end": ([(OFFICE, "")], ""),
    "location_order.approve": ([(("county_head",), "")], "approver_over_person"),
    "leave.create": ([(OFFICE, "")], ""),
    "leave.decide": ([("*", "decides")], ""),
    "leave.cancel": ([("*", "filed_it")], ""),
    "leave.return": ([(OFFICE, "")], ""),
    "sanction.decide": ([(OFFICE, "")], ""),
    "sanction.approve": ([("*", "decides_proposal")], ""),
    "followup.record": ([("*", "not_a_health_kind"), (HEALTH, "")], ""),
    "followup.read_compliance": ([(OFFICE_AND_HEALTH, "")], ""),
    "report.print_office": ([(OFFICE, "")], ""),
    "contact_point.manage": ([("*", "is_themselves"), (("admin",), "holds_their_jurisdiction")], ""),
    "routing_rule.manage": ([(("admin",), "")], "rule_in_own_subtree"),
}


@pytest.fixture
def one_of_each(tree):
    """A user holding exactly one role, for every role, in the same 司法所."""
    return {role: make_user(f"only_{role}", tree.township_a1, role) for role in Role.values}


def test_the_policy_declares_exactly_the_rules_in_this_table():
    assert policy.table() == EXPECTED


def test_each_role_may_do_exactly_the_actions_the_table_lists(one_of_each):
    unconditional = [a for a, (grants, within) in EXPECTED.items() if all(not when for _, when in grants)]
    for role, user in one_of_each.items():
        allowed = {a for a in unconditional if policy.may(user, a)}
        listed = {a for a in unconditional if any(role in roles for roles, _ in EXPECTED[a][0])}
        assert allowed == listed, role


def test_conditions_on_the_object_decide_with_the_roles(one_of_each, tree):
    officer, health = one_of_each[Role.TOWNSHIP_OFFICER], one_of_each[Role.HEALTH_WORKER]
    member, head = one_of_each[Role.TEAM_MEMBER], one_of_each[Role.COUNTY_HEAD]
    mental, correction = (
        SimpleNamespace(kind=CaseKind.MENTAL_HEALTH),
        SimpleNamespace(kind=CaseKind.CORRECTION),
    )
    assert policy.may(health, "case.manage", mental) and not policy.may(health, "case.manage", correction)
    assert policy.may(health, "case.open", CaseKind.MENTAL_HEALTH)
    assert not policy.may(health, "case.open", CaseKind.AFTERCARE)
    assert policy.may(officer, "case.manage", correction) and not policy.may(member, "case.manage", mental)
    assert policy.may(member, "alert.handle", SimpleNamespace(assignee_id=member.pk))
    assert not policy.may(member, "alert.handle", SimpleNamespace(assignee_id=None))
    assert policy.may(member, "leave.cancel", SimpleNamespace(created_by_id=member.pk))
    assert not policy.may(officer, "leave.cancel", SimpleNamespace(created_by_id=member.pk))
    health_kind = next(iter(HEALTH_KINDS))
    other_kind = next(k for k in FollowUpKind.values if k not in HEALTH_KINDS)
    assert policy.may(officer, "followup.record", other_kind) and policy.may(
        health, "followup.record", health_kind
    )
    assert not policy.may(officer, "followup.record", health_kind)
    assert policy.may(member, "contact_point.manage", member)
    assert not policy.may(officer, "contact_point.manage", member)
    in_b = SimpleNamespace(jurisdiction=tree.township_b1)
    assert policy.may(head, "location_order.approve", SimpleNamespace(jurisdiction=tree.grid_a1))
    assert not policy.may(head, "location_order.approve", in_b)


def test_a_refusal_says_the_rules_own_message_and_details(one_of_each, tree):
    with pytest.raises(Forbidden, match="无权设置区域"):
        policy.require(one_of_each[Role.TEAM_MEMBER], "zone.create")
    admin = one_of_each[Role.ADMIN]
    with pytest.raises(Forbidden, match="只能管理本辖区及下级辖区"):
        policy.require(admin, "directory.manage", tree.county_b)
    policy.require(admin, "directory.manage", tree.grid_a1)
    with pytest.raises(Forbidden, match="批准人须为该对象所在县的负责人") as refused:
        policy.require(
            one_of_each[Role.COUNTY_HEAD], "location_order.approve", SimpleNamespace(jurisdiction=None)
        )
    assert refused.value.details == {}  # the decider is the actor: no field of a form names him
    with pytest.raises(Forbidden) as refused:
        policy.require(one_of_each[Role.TOWNSHIP_OFFICER], "followup.record", next(iter(HEALTH_KINDS)))
    assert refused.value.details == {"kind": next(iter(HEALTH_KINDS))}


def test_an_undeclared_action_is_an_error_not_an_answer(one_of_each):
    with pytest.raises(KeyError):
        policy.may(one_of_each[Role.ADMIN], "zone.delete")
    with pytest.raises(KeyError):
        policy.require(one_of_each[Role.ADMIN], "zone.delete")


def test_an_action_is_declared_once():
    with pytest.raises(ValueError, match="已声明"):
        policy.declare("zone.create", "重复", policy.grant(Role.ADMIN))
    assert policy.table(["zone.create"]) == {"zone.create": EXPECTED["zone.create"]}


def test_a_zone_layer_is_managed_from_its_office_or_an_office_above_it(one_of_each, tree):
    officer = one_of_each[Role.TOWNSHIP_OFFICER]  # of 甲一
    policy.require(officer, "zone_layer.manage", SimpleNamespace(jurisdiction=tree.grid_a1))
    for above_or_beside in (tree.county_a, tree.township_a2):
        with pytest.raises(Forbidden, match="只能管理本辖区及下级辖区的区域图层"):
            policy.require(officer, "zone_layer.manage", SimpleNamespace(jurisdiction=above_or_beside))
    assert not policy.may(one_of_each[Role.TEAM_MEMBER], "zone_layer.manage")
