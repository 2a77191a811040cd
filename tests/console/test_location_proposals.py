"""The county head's queue of electronic-location proposals (社区矫正法 Art. 29 ground 3): granted from
the approvals page with the head as approver — order and accepted proposal together — or declined with a
reason; nobody else can act on them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.orders import add_months
from backend.monitoring.models import LocationOrder
from backend.people.actions.transitions import transition_case
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import SanctionSuggestion
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def head(tree):
    return make_user("head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def proposal(tree, officers):
    today = timezone.localdate()
    person = factories.person(officers.owner, tree.township_a1, name="测试李四")
    case = factories.correction(officers.owner, person, judgment_effective_on=today - dt.timedelta(days=60),
                                term_start=today - dt.timedelta(days=60))  # fmt: skip
    case = transition_case(
        by=officers.owner, case=case, action="report", effective_on=today - dt.timedelta(days=55)
    )
    county = make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)  # the county decides a warning
    record_sanction(
        by=county, case=case, kind="warning", reason="拒不报告活动情况（测试）", basis="missed_report"
    )
    return SanctionSuggestion.objects.get(case=case, kind="location_order", state="open")


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def grant_form(**extra) -> dict:
    today = timezone.localdate()
    return {"ground": "3", "facts": "警告后仍拒不报告（测试）", "starts_on": today.isoformat(),
            "ends_on": add_months(today, 3).isoformat(), "notice_signed_on": today.isoformat(), **extra}  # fmt: skip


def test_the_county_head_sees_the_proposal_and_grants_the_order_as_its_approver(head, proposal):
    client = client_of(head)
    page = client.get("/console/approvals/").content.decode()
    assert f'id="proposal-{proposal.pk}"' in page and "电子定位建议（待批准，1）" in page
    response = client.post(f"/console/approvals/proposals/{proposal.pk}/grant", grant_form())
    assert response.status_code == 302
    order = LocationOrder.objects.get(case=proposal.case)
    assert (order.ground, order.decided_by_id, order.proposed_by_id) == ("3", head.pk, head.pk)
    assert order.decision == "approved" and order.in_force_on(timezone.localdate())
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by_id) == ("accepted", head.pk)
    actions = list(AuditEvent.objects.filter(actor=head).values_list("action", flat=True))
    assert {"location_order.propose", "location_order.approve", "sanction.suggestion.accept"} <= set(actions)
    assert "电子定位建议（待批准，0）" in client.get("/console/approvals/").content.decode()


def test_a_term_over_three_months_grants_nothing_and_leaves_the_proposal_open(head, proposal):
    today = timezone.localdate()
    response = client_of(head).post(
        f"/console/approvals/proposals/{proposal.pk}/grant",
        grant_form(ends_on=(add_months(today, 3) + dt.timedelta(days=1)).isoformat()),
        follow=True,
    )
    assert "电子定位每次不得超过 3 个月" in response.content.decode()
    assert not LocationOrder.objects.filter(case=proposal.case).exists()
    proposal.refresh_from_db()
    assert proposal.state == "open"


def test_declining_needs_a_reason_and_closes_the_proposal(head, proposal):
    client = client_of(head)
    client.post(f"/console/approvals/proposals/{proposal.pk}/decline", {"note": " "})
    proposal.refresh_from_db()
    assert proposal.state == "open"
    client.post(
        f"/console/approvals/proposals/{proposal.pk}/decline", {"note": "已按时报告，暂不需要（测试）"}
    )
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by_id) == ("dismissed", head.pk)


def test_only_a_county_head_in_reach_can_act_on_a_proposal(tree, officers, proposal):
    other_head = make_user("head_b", tree.county_b, Role.COUNTY_HEAD)
    for user in (officers.owner, other_head):
        client = client_of(user)
        assert (
            client.post(f"/console/approvals/proposals/{proposal.pk}/grant", grant_form()).status_code == 404
        )
        assert (
            'id="proposals"' not in client.get("/console/approvals/").content.decode() or user is other_head
        )
    assert not LocationOrder.objects.filter(case=proposal.case).exists()


def test_the_county_heads_dashboard_lists_the_proposals_waiting_for_approval(head, proposal):
    page = client_of(head).get("/").content.decode()
    assert "电子定位建议待批准（1）" in page and f"#proposal-{proposal.pk}" in page
