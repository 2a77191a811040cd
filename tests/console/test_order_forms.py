"""The officer proposes an electronic location order from the person page (社区矫正法 Art. 29) and the county
head decides it on the approvals page, seeing what he approves: ground, facts, term and the person's file
summary.  Every refusal reads beside its field and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.orders import add_months, propose_order
from backend.monitoring.models import LocationOrder
from backend.people.actions.transitions import transition_case
from notifications.models import Delivery
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def head(tree):
    return make_user("head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def case(tree, officers):
    person = factories.person(officers.owner, tree.township_a1, name="测试王五")
    case = factories.correction(officers.owner, person, judgment_effective_on=TODAY - dt.timedelta(days=60),
                                term_start=TODAY - dt.timedelta(days=60))  # fmt: skip
    return transition_case(
        by=officers.owner, case=case, action="report", effective_on=TODAY - dt.timedelta(days=55)
    )


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(case, **extra) -> dict:
    return {"case_id": str(case.pk), "ground": "2", "facts": "未经批准离开本县三日（测试）",
            "starts_on": TODAY.isoformat(), "ends_on": add_months(TODAY, 3).isoformat(),
            "notice_signed_on": TODAY.isoformat(), **extra}  # fmt: skip


def test_the_officer_proposes_from_the_person_page_and_the_order_waits_for_the_head(officers, case):
    client = client_of(officers.owner)
    person_page = client.get(f"/console/people/{case.person_id}/").content.decode()
    assert f'href="/console/people/{case.person_id}/orders/new"' in person_page
    assert client.get(f"/console/people/{case.person_id}/orders/new").status_code == 200
    response = client.post(f"/console/people/{case.person_id}/orders/new", form(case))
    assert response.status_code == 302 and response["Location"].endswith("#orders")
    order = LocationOrder.objects.get(case=case)
    assert (order.decision, order.proposed_by) == ("proposed", officers.owner)
    page = client.get(f"/console/people/{case.person_id}/").content.decode()
    assert "待批准" in page and f'action="/console/orders/{order.pk}/withdraw"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ground", "", "必填"),
        ("ground", "6", "五种情形"),
        ("facts", "", "必填"),
        ("facts", "长" * 4001, "超出上限"),
        ("facts", "含\x00空字符", "空字符"),
        ("starts_on", "2026-02-30", "日期"),
        ("starts_on", "9999-01-01", "年份"),
        ("starts_on", (TODAY - dt.timedelta(days=1)).isoformat(), "提请日期"),
        ("ends_on", (add_months(TODAY, 3) + dt.timedelta(days=1)).isoformat(), "不得超过 3 个月"),
        ("ends_on", "不是日期", "日期"),
        ("notice_signed_on", (TODAY + dt.timedelta(days=5)).isoformat(), "告知书"),
        ("case_id", "999999", "在矫的社区矫正案件"),
        ("case_id", "x", "整数"),
    ],
)
def test_a_bad_proposal_is_refused_beside_its_field_and_nothing_is_written(
    officers, case, field, value, message
):
    response = client_of(officers.owner).post(
        f"/console/people/{case.person_id}/orders/new", form(case, **{field: value})
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="{field}-error"' in page, page[page.find("errors-top") :][:600]
    error = page[page.index(f'id="{field}-error"') :][:300]
    assert message in error, error
    assert not LocationOrder.objects.exists()


def test_an_outsider_gets_404_and_a_team_member_may_not_propose(tree, officers, case):
    assert (
        client_of(officers.colleague).get(f"/console/people/{case.person_id}/orders/new").status_code == 404
    )
    assert (
        client_of(officers.outsider)
        .post(f"/console/people/{case.person_id}/orders/new", form(case))
        .status_code
        == 404
    )
    assert not LocationOrder.objects.exists()


def test_the_head_sees_what_he_approves_and_approves_it(officers, case, head):
    order = propose_order(by=officers.owner, case=case, ground="2", facts="未经批准离开本县三日（测试）",
                          starts_on=TODAY, ends_on=add_months(TODAY, 3), notice_signed_on=TODAY)  # fmt: skip
    client = client_of(head)
    page = client.get("/console/approvals/").content.decode()
    row = page[page.index(f'id="order-proposal-{order.pk}"') :][:3000]
    for shown in (
        "测试王五",
        "未经批准离开本县三日（测试）",
        TODAY.isoformat(),
        case.number,
        "告警 0 次",
        "奖惩 0 次",
    ):
        assert shown in row, shown
    assert AuditEvent.objects.filter(action="location_order.list", actor=head).exists()  # facts decrypted
    response = client.post(f"/console/approvals/location-orders/{order.pk}/approve", {"note": "同意"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.decision, order.decided_by, order.decision_reason) == ("approved", head, "同意")
    assert f'id="order-proposal-{order.pk}"' not in client.get("/console/approvals/").content.decode()


def test_a_refusal_without_a_reason_changes_nothing_and_with_one_tells_the_proposer(officers, case, head):
    order = propose_order(by=officers.owner, case=case, ground="2", facts="测试", starts_on=TODAY,
                          ends_on=add_months(TODAY, 3), notice_signed_on=TODAY)  # fmt: skip
    client = client_of(head)
    page = client.post(f"/console/approvals/location-orders/{order.pk}/refuse", {"reason": " "}, follow=True)
    assert "不予批准须写明理由" in page.content.decode()
    order.refresh_from_db()
    assert order.decision == "proposed" and not Delivery.objects.exists()
    client.post(f"/console/approvals/location-orders/{order.pk}/refuse", {"reason": "事实不清（测试）"})
    order.refresh_from_db()
    assert order.decision == "refused"
    assert list(Delivery.objects.values_list("recipient_id", "channel")) == [(officers.owner.pk, "inbox")]
    person_page = client_of(officers.owner).get(f"/console/people/{case.person_id}/").content.decode()
    assert "不予批准的理由：事实不清（测试）" in person_page


def test_an_officer_cannot_decide_and_a_head_of_another_county_gets_404(tree, officers, case):
    order = propose_order(by=officers.owner, case=case, ground="2", facts="测试", starts_on=TODAY,
                          ends_on=add_months(TODAY, 3), notice_signed_on=TODAY)  # fmt: skip
    response = client_of(officers.owner).post(
        f"/console/approvals/location-orders/{order.pk}/approve", follow=True
    )
    assert "负责人批准" in response.content.decode()
    other = make_user("head_b", tree.county_b, Role.COUNTY_HEAD)
    assert client_of(other).post(f"/console/approvals/location-orders/{order.pk}/approve").status_code == 404
    order.refresh_from_db()
    assert order.decision == "proposed"


def test_the_proposer_withdraws_from_the_person_page(officers, case):
    order = propose_order(by=officers.owner, case=case, ground="2", facts="测试", starts_on=TODAY,
                          ends_on=add_months(TODAY, 3), notice_signed_on=TODAY)  # fmt: skip
    client_of(officers.owner).post(f"/console/orders/{order.pk}/withdraw")
    order.refresh_from_db()
    assert order.decision == "withdrawn"


def test_a_renewal_is_proposed_from_the_person_page_and_approved_in_the_queue(officers, case, head):
    from tests.monitoring.order_helpers import grant_order

    order = grant_order(by=officers.owner, case=case, approved_by=head, ground="2", facts="测试", starts_on=TODAY,
                        ends_on=add_months(TODAY, 1), notice_signed_on=TODAY)  # fmt: skip
    officer = client_of(officers.owner)
    assert (
        f"/console/orders/{order.pk}/renewals/new"
        in officer.get(f"/console/people/{case.person_id}/").content.decode()
    )
    bad = officer.post(f"/console/orders/{order.pk}/renewals/new", {"new_end": add_months(order.ends_on, 4).isoformat(),
                                                                  "reassessment": "复查"})  # fmt: skip
    assert bad.status_code == 422 and 'id="new_end-error"' in bad.content.decode()
    officer.post(f"/console/orders/{order.pk}/renewals/new",
                 {"new_end": add_months(order.ends_on, 2).isoformat(), "reassessment": "复查：仍需定位"})  # fmt: skip
    renewal = order.renewals.get()
    page = client_of(head).get("/console/approvals/").content.decode()
    assert f'id="renewal-proposal-{renewal.pk}"' in page and "复查：仍需定位" in page
    client_of(head).post(f"/console/approvals/location-orders/{order.pk}/renewals/{renewal.pk}/approve")
    order.refresh_from_db()
    assert order.ends_on == add_months(add_months(TODAY, 1), 2)


def test_the_file_summary_counts_decided_sanctions_only_not_proposals(officers, case, head):
    """A warning a 司法所 proposed is not a sanction until the county decides it (sanction_tiers)."""
    from backend.supervision.actions.sanctions import record_sanction

    record_sanction(by=officers.owner, case=case, kind="praise", reason="表现良好（测试）")
    record_sanction(by=officers.owner, case=case, kind="warning", reason="未按规定报告（测试）")  # a proposal
    order = propose_order(by=officers.owner, case=case, ground="2", facts="未经批准离开本县三日（测试）",
                          starts_on=TODAY, ends_on=add_months(TODAY, 3), notice_signed_on=TODAY)  # fmt: skip
    page = client_of(head).get("/console/approvals/").content.decode()
    row = page[page.index(f'id="order-proposal-{order.pk}"') :][:3000]
    assert "奖惩 1 次" in row
