"""The approvals page's sanction-proposal queue (the county's: 实施办法 Arts. 32, 35, 36, 46–49) shows what is
approved — kind, facts and reasons, basis, the person's file summary — and so do the leave rows; approve and
refuse post through the actions; a refusal without a reason, or with text no database stores, is shown
beside the field and nothing is written; the proposal's own page is what the proposer's notice links to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.people.actions.transitions import transition_case
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import Sanction
from tests.conftest import make_user
from tests.console import world as w
from tests.people import factories

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def county(tree):
    return make_user("county_a_officer", tree.county_a, Role.COUNTY_OFFICER)


@pytest.fixture
def case(tree, officers):
    today = timezone.localdate()
    person = factories.person(officers.owner, tree.township_a1, name="测试王五")
    case = factories.correction(officers.owner, person, judgment_effective_on=today - dt.timedelta(days=60),
                                term_start=today - dt.timedelta(days=60))  # fmt: skip
    return transition_case(
        by=officers.owner, case=case, action="report", effective_on=today - dt.timedelta(days=55)
    )


@pytest.fixture
def proposal(officers, case, county):
    record_sanction(by=county, case=case, kind="warning", reason="早先的警告（测试）", basis="missed_report")
    return record_sanction(
        by=officers.owner,
        case=case,
        kind="warning",
        reason="未经批准离开本县三日（测试）",
        basis="lost_contact_gt_10d",
    )


def test_the_county_sees_what_it_approves_in_its_queue(county, case, proposal):
    page = client_of(county).get("/console/approvals/").content.decode()
    row = page[page.index(f'id="sanction-proposal-{proposal.pk}"') :]
    row = row[: row.index("</tr>")]
    for shown in ("警告", "未经批准离开本县三日（测试）", "脱离监管超过十日", "测试王五", case.number, "严管",
                  "以往奖惩（1）", "前未决定即失效"):  # fmt: skip
        assert shown in row, shown
    assert 'data-label="种类与理由"' in row and "/console/approvals/sanctions/" in row
    event = AuditEvent.objects.filter(action="sanction.list").latest("seq")
    assert event.details == {"ids": [proposal.pk], "page": "console.approvals"}


def test_the_office_that_proposed_has_no_sanction_queue(officers, proposal):
    page = client_of(officers.owner).get("/console/approvals/").content.decode()
    assert "sanction-queue" not in page


def test_leave_rows_show_the_persons_file_summary(tree, officers):
    world = w.build(tree, officers)
    page = client_of(officers.owner).get("/console/approvals/").content.decode()
    row = page[page.index(f'id="leave-{world.leave.pk}"') :]
    assert "data-file-summary" in row[: row.index("</tr>")] and "以往奖惩（0）" in row


def test_approving_from_the_queue_makes_the_step_decided(county, proposal):
    response = client_of(county).post(f"/console/approvals/sanctions/{proposal.pk}/approve", {"note": "同意"})
    assert response.status_code == 302 and response["Location"].endswith("#sanction-queue")
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decided_by, proposal.decision_note) == ("decided", county, "同意")


@pytest.mark.parametrize(
    ("note", "message"),
    [("", "不予批准须说明理由"), ("a\u0000b", "空字符"), ("长" * 2001, "2000")],
    ids=["no reason", "NUL byte", "oversize"],
)
def test_a_bad_refusal_is_shown_beside_the_field_and_writes_nothing(county, proposal, note, message):
    response = client_of(county).post(f"/console/approvals/sanctions/{proposal.pk}/refuse", {"note": note})
    assert response.status_code == 422
    page = response.content.decode()
    form = page[page.index('id="refuse-form"') :]
    assert message in form[: form.index("</form>")]
    assert Sanction.objects.get(pk=proposal.pk).state == "proposed"
    assert not AuditEvent.objects.filter(action="sanction.refuse").exists()


def test_a_refusal_with_a_reason_closes_the_proposal(county, proposal):
    response = client_of(county).post(
        f"/console/approvals/sanctions/{proposal.pk}/refuse", {"note": "证据不足"}
    )
    assert response.status_code == 302
    assert Sanction.objects.get(pk=proposal.pk).state == "refused"


def test_the_proposer_cannot_decide_and_sees_the_outcome_on_the_proposals_page(officers, county, proposal):
    client = client_of(officers.owner)
    page = client.get(f"/console/approvals/sanctions/{proposal.pk}/").content.decode()
    assert "待县级决定" in page and 'id="approve-form"' not in page
    response = client.post(f"/console/approvals/sanctions/{proposal.pk}/approve", {})
    assert response.status_code == 422 and "县级社区矫正机构" in response.content.decode()
    client_of(county).post(f"/console/approvals/sanctions/{proposal.pk}/refuse", {"note": "请补充证据"})
    page = client.get(f"/console/approvals/sanctions/{proposal.pk}/").content.decode()
    assert "不予批准" in page and "请补充证据" in page
    assert AuditEvent.objects.filter(action="sanction.read", actor=officers.owner).count() == 3


def test_a_second_decision_is_refused_on_the_page(county, proposal):
    client = client_of(county)
    client.post(f"/console/approvals/sanctions/{proposal.pk}/approve", {})
    response = client.post(f"/console/approvals/sanctions/{proposal.pk}/refuse", {"note": "晚了"})
    assert response.status_code == 422 and "已决定" in response.content.decode()


def test_the_leave_page_shows_the_request_and_offers_the_decision_to_its_tier(tree, officers):
    world = w.build(tree, officers)
    page = client_of(officers.owner).get(f"/console/approvals/leave/{world.leave.pk}/").content.decode()
    assert world.leave.destination in page and "data-file-summary" in page
    assert f'action="/console/approvals/leave/{world.leave.pk}/reject"' in page
    county = make_user("county_a_officer", tree.county_a, Role.COUNTY_OFFICER)
    page = client_of(county).get(f"/console/approvals/leave/{world.leave.pk}/").content.decode()
    assert "reject" not in page  # a 司法所-tier leave: the county sees it but does not decide it
