"""Sanction proposals (实施办法 Arts. 32, 35, 36, 46–49): a 司法所's warning, police-penalty or revocation request
is a proposal in its county's queue — not in force and not counted by the ladder until the county decides;
the county approves or refuses with a reason (each audited, a second decision refused); a proposal left
undecided expires; refusal and expiry reach the proposer's inbox without a name; the wrong office is
refused; the deciding tier per kind is the rules'."""

# ruff: noqa: F811  (the `case` fixture is imported from test_leave_requests)
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from backend.core.errors import Conflict, Forbidden
from backend.core.models import AuditEvent, Role
from backend.core.rules import _load
from backend.supervision.actions.sanction_proposals import (
    approve_sanction,
    expire_sanction_proposals,
    refuse_sanction,
)
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import Sanction, SanctionSuggestion
from backend.supervision.scheduler import job_sweep
from notifications import sender
from notifications.models import InboxMessage
from tests.conftest import make_user
from tests.core.test_scoping import Case as Endpoint
from tests.core.test_scoping import run_trio
from tests.supervision.sanction_helpers import county_officer_of
from tests.supervision.test_leave_requests import case  # noqa: F401

pytestmark = pytest.mark.django_db


def propose(officer, case, kind="warning", **extra) -> Sanction:
    return record_sanction(by=officer, case=case, kind=kind, reason="拒不报告活动情况（测试）", **extra)


def inbox(user) -> list[InboxMessage]:
    while sender.handle_batch():
        pass
    return list(InboxMessage.objects.filter(recipient=user).order_by("id"))


@pytest.fixture
def county(case):
    return county_officer_of(case)


def test_an_office_officers_warning_is_a_proposal_for_the_county_and_is_audited_as_such(officers, case, api):
    response = api(officers.owner).post(
        "/api/v1/sanctions", {"case_id": case.pk, "kind": "warning", "reason": "拒不报告（测试）"}
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["state"], data["decided_by_id"], data["decided_on"], data["proposed_by_id"]) == (
        "proposed", None, None, officers.owner.pk,
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="sanction.propose", target_id=str(data["id"])).count() == 1
    assert not AuditEvent.objects.filter(action="sanction.create").exists()


def test_the_county_decides_its_own_kinds_at_once_and_the_office_its_delegated_ones(officers, case, county):
    assert propose(county, case).state == "decided"
    assert propose(officers.owner, case, kind="admonition").state == "decided"
    assert propose(officers.owner, case, kind="praise").state == "decided"
    for kind in ("police_penalty_request", "revocation_request"):
        assert propose(officers.owner, case, kind=kind).state == "proposed"


def test_a_province_may_have_the_county_decide_admonitions_too(officers, case, province_rules):
    province_rules(sanction_county_decides_admonition=1)
    assert propose(officers.owner, case, kind="admonition").state == "proposed"


def test_the_deciding_tier_in_the_rules_file_is_zero_or_one(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text('{"sanction_county_decides_warning": 2}', encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="sanction_county_decides_warning"):
        _load(str(path))


def test_a_proposal_is_not_counted_by_the_ladder_until_the_county_decides(officers, case, county):
    first = propose(officers.owner, case, decided_on=timezone.localdate() - dt.timedelta(days=20))
    second = propose(officers.owner, case)
    assert (first.decided_on, second.decided_on) == (None, None)  # the given date is the county's to set
    assert not SanctionSuggestion.objects.filter(kind="revocation_request").exists()
    approve_sanction(by=county, sanction=first)
    assert not SanctionSuggestion.objects.filter(kind="revocation_request").exists()
    approve_sanction(by=county, sanction=second, note="同意（测试）")
    assert SanctionSuggestion.objects.filter(kind="revocation_request", rule="warnings_repeated").count() == 1
    second.refresh_from_db()
    assert (second.state, second.decided_by, second.decided_on) == ("decided", county, timezone.localdate())


def test_a_revocation_request_puts_the_case_pending_revocation_only_once_approved(officers, case, county):
    proposal = propose(officers.owner, case, kind="revocation_request")
    case.refresh_from_db()
    assert case.revocation_pending is False
    approve_sanction(by=county, sanction=proposal)
    case.refresh_from_db()
    assert case.revocation_pending is True


def test_only_the_cases_county_decides_a_proposal(tree, officers, case, county):
    proposal = propose(officers.owner, case)
    for wrong in (
        officers.owner,  # the proposer's own 司法所
        make_user("county_b_officer", tree.county_b, Role.COUNTY_OFFICER),  # another county
        make_user("county_role_in_a2", tree.township_a2, Role.COUNTY_OFFICER),  # not at the county
        make_user("city_supervisor", tree.county_a.parent, Role.SUPERVISOR),  # the level above
    ):
        with pytest.raises(Forbidden, match="县级社区矫正机构"):
            approve_sanction(by=wrong, sanction=proposal)
        with pytest.raises(Forbidden):
            refuse_sanction(by=wrong, sanction=proposal, note="理由（测试）")
    head = make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    assert refuse_sanction(by=head, sanction=proposal, note="证据不足（测试）").state == "refused"


def test_a_second_decision_is_refused(officers, case, county):
    proposal = propose(officers.owner, case)
    approve_sanction(by=county, sanction=proposal)
    with pytest.raises(Conflict, match="已决定"):
        approve_sanction(by=county, sanction=Sanction.objects.get(pk=proposal.pk))
    with pytest.raises(Conflict):
        refuse_sanction(by=county, sanction=Sanction.objects.get(pk=proposal.pk), note="再次（测试）")
    stale = propose(officers.owner, case)
    copy = Sanction.objects.get(pk=stale.pk)
    refuse_sanction(by=county, sanction=stale, note="不成立（测试）")
    with pytest.raises(Conflict, match="已被他人处理"):  # a page opened before the other decision
        approve_sanction(by=county, sanction=copy)
    assert AuditEvent.objects.filter(action="sanction.approve").count() == 1
    assert AuditEvent.objects.filter(action="sanction.refuse").count() == 1


def test_a_refusal_needs_a_reason_and_tells_the_proposer_in_the_inbox(officers, case, county, api):
    proposal = propose(officers.owner, case)
    client = api(county)
    path = f"/api/v1/sanctions/{proposal.pk}/refuse"
    assert client.post(path, {"note": " "}).json()["details"] == {"field": "note"}
    assert client.post(path, {"note": "x" * 2001}).status_code == 422
    assert client.post(path, {"note": "a\u0000b"}).status_code == 422
    assert Sanction.objects.get(pk=proposal.pk).state == "proposed" and inbox(officers.owner) == []
    data = client.post(path, {"note": "事实不清，请补充调查（测试）"}).json()
    assert (data["state"], data["decision_note"], data["decided_by_id"]) == (
        "refused", "事实不清，请补充调查（测试）", county.pk,
    )  # fmt: skip
    (message,) = inbox(officers.owner)
    assert "不予批准" in message.title and "警告" in message.body and "理由请在工作台查看" in message.body
    assert "事实不清" not in message.body  # the reason stays in the console: a notice may go by e-mail
    assert case.person.name not in message.body and case.person.id_number not in message.body
    assert f"/console/approvals/sanctions/{proposal.pk}/" in message.body


def test_a_proposer_who_can_no_longer_see_the_case_gets_the_bare_outcome(tree, officers, case, county):
    proposal = propose(officers.owner, case)
    officers.owner.jurisdiction = tree.township_b1
    officers.owner.save(update_fields=["jurisdiction"])
    refuse_sanction(by=county, sanction=proposal, note="证据不足的具体理由（测试）")
    (message,) = inbox(officers.owner)
    assert "证据不足" not in message.body and "警告" not in message.body and "/console/" not in message.body


def test_an_undecided_proposal_expires_once_with_the_sweep_and_tells_the_proposer(
    officers, case, county, api
):
    proposal = propose(officers.owner, case)
    later = timezone.now() + dt.timedelta(days=10, minutes=1)
    assert expire_sanction_proposals(timezone.now() + dt.timedelta(days=9)) == 0
    job_sweep(later)
    job_sweep(later)  # idempotent: nothing left to expire, nobody told twice
    proposal.refresh_from_db()
    assert proposal.state == "expired"
    assert AuditEvent.objects.filter(action="sanction.expire", target_id=str(proposal.pk)).count() == 1
    (message,) = inbox(officers.owner)
    assert "逾期" in message.title and "10 日" in message.body
    with pytest.raises(Conflict):
        approve_sanction(by=county, sanction=proposal)


def test_a_proposal_past_its_days_can_no_longer_be_decided_even_before_the_sweep(officers, case, county):
    proposal = propose(officers.owner, case)
    Sanction.objects.filter(pk=proposal.pk).update(proposed_at=timezone.now() - dt.timedelta(days=10))
    proposal.refresh_from_db()
    with pytest.raises(Conflict, match="已失效"):
        approve_sanction(by=county, sanction=proposal)


def test_the_county_lists_what_awaits_it_and_anyone_lists_by_state(tree, officers, case, county, api):
    waiting = propose(officers.owner, case)
    refused = propose(officers.owner, case)
    refuse_sanction(by=county, sanction=refused, note="不成立（测试）")
    old = propose(officers.owner, case)
    Sanction.objects.filter(pk=old.pk).update(proposed_at=timezone.now() - dt.timedelta(days=11))
    decided = propose(county, case)

    def ids(user, query: str) -> list[int]:
        return [i["id"] for i in api(user).get(f"/api/v1/sanctions?{query}").json()["items"]]

    assert ids(county, "awaiting_me=true") == [waiting.pk]
    assert ids(officers.owner, "awaiting_me=true") == []
    assert ids(make_user("county_b_officer", tree.county_b, Role.COUNTY_OFFICER), "awaiting_me=true") == []
    assert ids(officers.owner, "state=refused") == [refused.pk]
    assert ids(officers.owner, "state=decided") == [decided.pk]


def test_accepting_a_suggestion_for_a_county_kind_proposes_it(officers, case, county):
    from backend.supervision.actions.sanctions import accept_suggestion

    suggestion = SanctionSuggestion.objects.create(
        case=case, kind="warning", rule="admonitions_unremedied", details={}
    )
    suggestion, sanction = accept_suggestion(
        by=officers.owner, suggestion=suggestion, reason="两次训诫（测试）"
    )
    assert (suggestion.state, sanction.state, sanction.suggestion_id) == (
        "accepted",
        "proposed",
        suggestion.pk,
    )


def test_an_office_decided_admonition_cannot_be_approved_and_a_proposal_cannot_be_remedied(
    officers, case, county, province_rules
):
    admonition = propose(officers.owner, case, kind="admonition")
    with pytest.raises(Conflict):
        approve_sanction(by=county, sanction=admonition)
    province_rules(sanction_county_decides_admonition=1)
    proposed = propose(officers.owner, case, kind="admonition")
    from backend.supervision.actions.sanctions import remedy_sanction

    with pytest.raises(Conflict, match="已决定"):
        remedy_sanction(by=officers.owner, sanction=proposed)


# --- the scoping trio on the new endpoints (the county's officers: the owner's county, a county-role user
# --- in another 司法所 of it, and another county) ----------------------------------------------------


@pytest.fixture
def objects(officers, case) -> dict:
    return {"proposal": propose(officers.owner, case)}


ENDPOINTS = {
    "read": Endpoint("GET", lambda o: f"/api/v1/sanctions/{o['proposal'].pk}"),
    "approve": Endpoint("POST", lambda o: f"/api/v1/sanctions/{o['proposal'].pk}/approve", lambda o: {}),
    "refuse": Endpoint(
        "POST", lambda o: f"/api/v1/sanctions/{o['proposal'].pk}/refuse", lambda o: {"note": "测试"}
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_proposal_endpoints_are_scoped_to_the_cases_county(name, tree, case, objects, api):
    from tests.conftest import Trio

    trio = Trio(
        owner=county_officer_of(case),
        colleague=make_user("county_role_a2", tree.township_a2, Role.COUNTY_OFFICER),
        outsider=make_user("county_b", tree.county_b, Role.COUNTY_OFFICER),
    )
    assert run_trio(trio, ENDPOINTS[name], objects, api) == [200, 404, 404]
