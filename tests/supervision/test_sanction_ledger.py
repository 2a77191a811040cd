"""The sanctions ledger (考核奖惩): decided by office staff, reason encrypted, audited, listed per case;
suggestions accepted (making the ledger row) or dismissed with a note; the scoping trio on every endpoint."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.core.models import AuditEvent, Role
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import Sanction, SanctionSuggestion
from tests.conftest import make_user
from tests.core.test_scoping import Case as Endpoint
from tests.core.test_scoping import run_trio
from tests.supervision.test_leave_requests import case, day  # noqa: F401

pytestmark = pytest.mark.django_db


def body(case, **extra) -> dict:  # noqa: F811
    return {
        "case_id": case.pk,
        "kind": "admonition",
        "reason": "未按时报告（测试）",
        "basis": "missed_report",
        **extra,
    }


def test_an_office_user_records_a_sanction_and_it_is_audited(officers, case, api):  # noqa: F811
    response = api(officers.owner).post("/api/v1/sanctions", body(case))
    assert response.status_code == 201
    data = response.json()
    assert (data["kind"], data["decided_on"], data["decided_by_id"], data["basis"], data["remedied"]) == (
        "admonition", day(0), officers.owner.pk, "missed_report", False,
    )  # fmt: skip
    event = AuditEvent.objects.get(action="sanction.create")
    assert event.target_id == str(data["id"]) and event.details["kind"] == "admonition"
    assert "测试" not in str(event.details)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM supervision_sanction WHERE id = %s", [data["id"]])
        assert "未按时报告" not in str(cursor.fetchone()[0])


def test_a_sanction_needs_a_reason_a_known_kind_and_no_future_date(officers, case, api):  # noqa: F811
    client = api(officers.owner)
    assert client.post("/api/v1/sanctions", body(case, reason=" ")).json()["details"] == {"field": "reason"}
    assert client.post("/api/v1/sanctions", body(case, kind="location_order")).status_code == 422
    assert client.post("/api/v1/sanctions", body(case, decided_on=day(1))).status_code == 422
    assert not Sanction.objects.exists()


def test_only_correction_cases_have_sanctions(tree, officers, api):
    from tests.people import factories

    who = factories.person(officers.owner, tree.township_a1)
    aftercare = factories.aftercare(officers.owner, who)
    assert api(officers.owner).post("/api/v1/sanctions", body(aftercare)).status_code == 422


def test_team_members_neither_see_nor_record_sanctions(tree, officers, case, api):  # noqa: F811
    from backend.people.models import TeamMember

    member = make_user("member", tree.township_a1, Role.TEAM_MEMBER)
    TeamMember.objects.create(team=case.team, user=member, role="volunteer", gender="male")
    record_sanction(by=officers.owner, case=case, kind="praise", reason="表现良好（测试）")
    assert api(member).get(f"/api/v1/sanctions?case_id={case.pk}").json()["items"] == []
    assert api(member).post("/api/v1/sanctions", body(case)).status_code == 403


def test_the_list_is_per_case_and_its_read_is_audited(tree, officers, case, api):  # noqa: F811
    from tests.people import factories

    other = factories.correction(officers.owner, factories.person(officers.owner, tree.township_a1))
    mine = record_sanction(by=officers.owner, case=case, kind="praise", reason="表现良好（测试）")
    record_sanction(by=officers.owner, case=other, kind="praise", reason="表现良好（测试）")
    items = api(officers.owner).get(f"/api/v1/sanctions?case_id={case.pk}").json()["items"]
    assert [(i["id"], i["reason"]) for i in items] == [(mine.pk, "表现良好（测试）")]
    assert AuditEvent.objects.get(action="sanction.list").details == {"ids": [mine.pk]}


def test_an_admonition_can_be_marked_remedied_once(officers, case, api):  # noqa: F811
    admonition = record_sanction(by=officers.owner, case=case, kind="admonition", reason="测试")
    client = api(officers.owner)
    assert client.post(f"/api/v1/sanctions/{admonition.pk}/remedy").json()["remedied"] is True
    client.post(f"/api/v1/sanctions/{admonition.pk}/remedy")
    assert AuditEvent.objects.filter(action="sanction.remedy").count() == 1
    praise = record_sanction(by=officers.owner, case=case, kind="praise", reason="测试")
    assert client.post(f"/api/v1/sanctions/{praise.pk}/remedy").status_code == 422


def open_suggestion(case, kind="warning", rule="admonitions_unremedied") -> SanctionSuggestion:  # noqa: F811
    return SanctionSuggestion.objects.create(case=case, kind=kind, rule=rule, details={"sanctions": [1, 2]})


def test_accepting_a_suggestion_records_the_sanction_with_it(officers, case, api):  # noqa: F811
    suggestion = open_suggestion(case)
    client = api(officers.owner)
    path = f"/api/v1/sanctions/suggestions/{suggestion.pk}/accept"
    assert client.post(path, {}).json()["details"] == {"field": "reason"}
    data = client.post(path, {"reason": "两次训诫仍未改正（测试）"}).json()
    assert (
        data["suggestion"]["state"] == "accepted" and data["suggestion"]["decided_by_id"] == officers.owner.pk
    )
    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.basis, sanction.suggestion_id, data["sanction"]["id"]) == (
        "warning", "admonitions_unremedied", suggestion.pk, sanction.pk,
    )  # fmt: skip
    assert client.post(path, {"reason": "再次"}).status_code == 409
    assert (
        AuditEvent.objects.filter(action="sanction.suggestion.accept", target_id=str(suggestion.pk)).count()
        == 1
    )


def test_accepting_a_location_order_suggestion_makes_no_ledger_row(officers, case, api):  # noqa: F811
    suggestion = open_suggestion(case, kind="location_order", rule="art29_ground3")
    data = (
        api(officers.owner)
        .post(f"/api/v1/sanctions/suggestions/{suggestion.pk}/accept", {"reason": "测试"})
        .json()
    )
    assert (data["suggestion"]["state"], data["sanction"]) == ("accepted", None)
    assert not Sanction.objects.exists()


def test_dismissing_a_suggestion_needs_a_note(officers, case, api):  # noqa: F811
    suggestion = open_suggestion(case)
    client = api(officers.owner)
    path = f"/api/v1/sanctions/suggestions/{suggestion.pk}/dismiss"
    assert client.post(path, {}).json()["details"] == {"field": "note"}
    assert client.post(path, {"note": "已当面教育（测试）"}).json()["state"] == "dismissed"
    suggestion.refresh_from_db()
    assert suggestion.note == "已当面教育（测试）"
    assert AuditEvent.objects.filter(action="sanction.suggestion.dismiss").count() == 1


def test_suggestions_are_listed_by_case_and_state(officers, case, api):  # noqa: F811
    first = open_suggestion(case)
    second = open_suggestion(case, kind="revocation_request", rule="warnings_repeated")
    SanctionSuggestion.objects.filter(pk=second.pk).update(state="dismissed")
    client = api(officers.owner)
    items = client.get(f"/api/v1/sanctions/suggestions?case_id={case.pk}&state=open").json()["items"]
    assert [i["id"] for i in items] == [first.pk]


# --- the scoping trio on every endpoint ----------------------------------------------------------------


@pytest.fixture
def objects(officers, case) -> dict:  # noqa: F811
    return {
        "case": case,
        "admonition": record_sanction(by=officers.owner, case=case, kind="admonition", reason="测试"),
        "suggestion": open_suggestion(case, kind="praise", rule="test"),
    }


ENDPOINTS = {
    "create": Endpoint(
        "POST", lambda o: "/api/v1/sanctions", lambda o: body(o["case"], kind="praise"), ok=201
    ),
    "remedy": Endpoint("POST", lambda o: f"/api/v1/sanctions/{o['admonition'].pk}/remedy"),
    "accept": Endpoint(
        "POST",
        lambda o: f"/api/v1/sanctions/suggestions/{o['suggestion'].pk}/accept",
        lambda o: {"reason": "测试"},
    ),
    "dismiss": Endpoint(
        "POST",
        lambda o: f"/api/v1/sanctions/suggestions/{o['suggestion'].pk}/dismiss",
        lambda o: {"note": "测试"},
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_sanction_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [ENDPOINTS[name].ok, 404, 404]


@pytest.mark.parametrize("path", ["/api/v1/sanctions", "/api/v1/sanctions/suggestions"])
def test_the_lists_hold_only_what_the_reader_may_see(path, officers, objects, api):
    def listed(user) -> int:
        response = api(user).get(path)
        assert response.status_code == 200
        return len(response.json()["items"])

    assert (listed(officers.owner), listed(officers.colleague), listed(officers.outsider)) == (1, 0, 0)


def test_a_recorded_revocation_request_puts_the_case_pending_revocation_once(officers, case):  # noqa: F811
    from backend.core.errors import Conflict
    from backend.people.actions.transitions import transition_case
    from backend.people.models import CaseTransition
    from tests.supervision.sanction_helpers import decided

    decided(officers.owner, case, "revocation_request", reason="多次警告仍不改正（测试）")
    case.refresh_from_db()
    assert case.revocation_pending is True
    assert CaseTransition.objects.filter(case=case, action="request_revocation").count() == 1
    decided(officers.owner, case, "revocation_request", reason="补充提请（测试）")
    assert CaseTransition.objects.filter(case=case, action="request_revocation").count() == 1
    with pytest.raises(Conflict, match="正在审批中"):
        transition_case(by=officers.owner, case=case, action="request_revocation")
    assert (
        transition_case(by=officers.owner, case=case, action="reject_revocation").revocation_pending is False
    )
