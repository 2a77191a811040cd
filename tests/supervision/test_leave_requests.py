"""Leave requests (外出, 实施办法 Art. 27–29): dates, tiers at their edges, who approves which tier, the
procuratorate date, withdrawal, the approval queue, audit, and the scoping trio on every endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.people.actions.transitions import transition_case
from backend.supervision.actions.leave import approve_leave, create_leave
from backend.supervision.models import LeaveRequest
from tests.conftest import make_user
from tests.core.test_scoping import Case as Endpoint
from tests.core.test_scoping import run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def day(n: int) -> str:
    return (today() + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def case(tree, officers):
    """An active correction case of the owner's 司法所 (甲一)."""
    who = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(
        officers.owner, who, judgment_effective_on=today() - dt.timedelta(days=60),
        term_start=today() - dt.timedelta(days=60),
    )  # fmt: skip
    return transition_case(
        by=officers.owner, case=case, action="report", effective_on=today() - dt.timedelta(days=55)
    )


@pytest.fixture
def county_officer(tree):
    return make_user("county_a_officer", tree.county_a, Role.COUNTY_OFFICER)


@pytest.fixture
def city_officer(tree):
    return make_user("city_officer", tree.county_a.parent, Role.SUPERVISOR)


def leave_body(case, start: int, end: int, **extra) -> dict:
    return {"case_id": case.pk, "starts_on": day(start), "ends_on": day(end), "destination": "测试市测试路 1 号",
            "reason": "探亲（测试）", **extra}  # fmt: skip


def file(officer, case, start: int, end: int, **extra) -> LeaveRequest:
    return create_leave(
        by=officer, case=case, starts_on=today() + dt.timedelta(days=start),
        ends_on=today() + dt.timedelta(days=end), destination="测试地", reason="测试事由", **extra,
    )  # fmt: skip


def test_applying_two_days_ahead_is_refused_and_three_days_ahead_is_accepted(officers, case, api):
    client = api(officers.owner)
    refused = client.post("/api/v1/leave-requests", leave_body(case, 2, 4))
    assert refused.status_code == 422
    assert refused.json()["details"] == {"field": "starts_on", "earliest": day(3)}
    assert "至少提前 3 日申请" in refused.json()["message"]
    accepted = client.post("/api/v1/leave-requests", leave_body(case, 3, 4))
    assert accepted.status_code == 201
    assert (accepted.json()["state"], accepted.json()["applied_on"]) == ("pending", day(0))
    assert accepted.json()["destination"] == "测试市测试路 1 号"


def test_an_end_before_the_start_or_a_date_in_the_past_is_refused(officers, case, api):
    client = api(officers.owner)
    assert (
        client.post("/api/v1/leave-requests", leave_body(case, 5, 4)).json()["details"]["field"] == "ends_on"
    )
    past = client.post("/api/v1/leave-requests", leave_body(case, -1, 4))
    assert (past.status_code, past.json()["message"]) == (422, "外出日期不能早于今天")
    assert not LeaveRequest.objects.exists()


def test_the_reason_destination_and_its_area_are_stored_encrypted(officers, case):
    from django.db import connection

    area = {"type": "circle", "lat": 31.2, "lon": 121.4, "radius_m": 1500}
    leave = file(officers.owner, case, 3, 4, destination_geometry=area)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT destination, reason, destination_geometry FROM supervision_leaverequest WHERE id = %s",
            [leave.pk],
        )
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "测试地" not in raw and "测试事由" not in raw and "radius_m" not in raw
    leave.refresh_from_db()
    assert leave.destination_geometry == area


def test_an_unusable_destination_area_is_refused(officers, case, api):
    body = leave_body(case, 3, 4, destination_geometry={"type": "circle", "lat": 31.2})
    response = api(officers.owner).post("/api/v1/leave-requests", body)
    assert (response.status_code, response.json()["details"]["field"]) == (422, "geometry")


@pytest.mark.parametrize(
    ("start", "end", "tier"),
    [(3, 9, "township"), (3, 10, "county"), (3, 32, "county"), (3, 33, "above")],
    ids=["7 days", "8 days", "30 days", "31 days"],
)
def test_the_length_decides_the_tier_at_its_edges(officers, case, start, end, tier):
    leave = file(officers.owner, case, start, end)
    assert (leave.tier, leave.tier_basis) == (tier, "days")


def test_more_than_thirty_days_within_sixty_with_approved_leave_goes_above(officers, case, county_officer):
    first = file(officers.owner, case, 3, 22)  # 20 days
    approve_leave(by=county_officer, leave=first)
    ten_more = file(officers.owner, case, 40, 49)  # 20 + 10 = 30 within 60 days: still by length
    assert (ten_more.tier, ten_more.tier_basis) == ("county", "days")
    ten_more.delete()
    eleven_more = file(officers.owner, case, 40, 50)  # 20 + 11 = 31
    assert (eleven_more.tier, eleven_more.tier_basis) == ("above", "window")


@pytest.mark.parametrize(
    ("start", "tier"), [(52, "above"), (53, "county")], ids=["31 in a window", "30 at most"]
)
def test_the_sixty_day_window_sum_at_its_edge(officers, case, county_officer, start, tier):
    approve_leave(by=county_officer, leave=file(officers.owner, case, 3, 22))  # 20 days, days 3–22
    # 11 more days: from day 52 the window [3, 62] holds all 20 + 11 = 31; from day 53 no window holds more
    # than 30 (days 3–22 and 53–62, or 4–22 and 53–63).
    assert file(officers.owner, case, start, start + 10).tier == tier


def test_a_pending_request_does_not_count_towards_the_sum(officers, case):
    file(officers.owner, case, 3, 22)
    assert file(officers.owner, case, 40, 50).tier == "county"


def test_the_tier_is_decided_again_at_approval(officers, case, county_officer, city_officer, api):
    first = file(officers.owner, case, 3, 22)
    second = file(officers.owner, case, 40, 50)  # county while the first is only pending
    approve_leave(by=county_officer, leave=first)
    refused = api(county_officer).post(f"/api/v1/leave-requests/{second.pk}/approve", {})
    assert refused.status_code == 403 and refused.json()["details"]["tier"] == "above"
    second.refresh_from_db()
    assert (second.tier, second.tier_basis, second.state) == ("above", "window", "pending")
    assert AuditEvent.objects.filter(action="leave.retier", target_id=str(second.pk)).count() == 1
    approved = api(city_officer).post(
        f"/api/v1/leave-requests/{second.pk}/approve", {"procuratorate_notified_on": day(0)}
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"


def test_frequent_travel_is_county_tier_and_valid_up_to_six_months(officers, case, api):
    start = today() + dt.timedelta(days=3)
    from backend.monitoring.actions.orders import add_months

    last = add_months(start, 6) - dt.timedelta(days=1)
    body = leave_body(case, 3, 3, frequent=True) | {"ends_on": last.isoformat()}
    ok = api(officers.owner).post("/api/v1/leave-requests", body)
    assert (ok.status_code, ok.json()["tier"], ok.json()["tier_basis"]) == (201, "county", "frequent")
    too_long = api(officers.owner).post(
        "/api/v1/leave-requests", body | {"ends_on": (last + dt.timedelta(days=1)).isoformat()}
    )
    assert too_long.status_code == 422 and too_long.json()["details"]["latest"] == last.isoformat()


def test_a_township_leave_is_approved_by_the_cases_township_officer(officers, case, county_officer, api):
    leave = file(officers.owner, case, 3, 9)
    assert api(county_officer).post(f"/api/v1/leave-requests/{leave.pk}/approve", {}).status_code == 403
    ok = api(officers.owner).post(f"/api/v1/leave-requests/{leave.pk}/approve", {"note": "同意"})
    assert (ok.status_code, ok.json()["state"], ok.json()["decided_by_id"]) == (
        200,
        "approved",
        officers.owner.pk,
    )


def test_a_township_officer_cannot_approve_a_county_leave(officers, case, county_officer, api):
    leave = file(officers.owner, case, 3, 10)
    refused = api(officers.owner).post(f"/api/v1/leave-requests/{leave.pk}/approve", {})
    assert refused.status_code == 403
    assert (
        refused.json()["message"]
        == "「县级社区矫正机构审批（8–30 日）」的外出申请须由所属县级社区矫正机构工作人员审批"
    )
    assert api(county_officer).post(f"/api/v1/leave-requests/{leave.pk}/approve", {}).status_code == 200


def test_a_county_officer_of_another_county_cannot_see_the_leave(tree, officers, case, api):
    other = make_user("county_b_officer", tree.county_b, Role.COUNTY_OFFICER)
    leave = file(officers.owner, case, 3, 10)
    assert api(other).post(f"/api/v1/leave-requests/{leave.pk}/approve", {}).status_code == 404


def test_above_tier_needs_the_level_above_and_the_procuratorate_date(
    officers, case, county_officer, city_officer, api
):
    leave = file(officers.owner, case, 3, 33)
    path = f"/api/v1/leave-requests/{leave.pk}/approve"
    assert api(county_officer).post(path, {"procuratorate_notified_on": day(0)}).status_code == 403
    missing = api(city_officer).post(path, {})
    assert (missing.status_code, missing.json()["details"]) == (422, {"field": "procuratorate_notified_on"})
    future = api(city_officer).post(path, {"procuratorate_notified_on": day(1)})
    assert future.status_code == 422
    ok = api(city_officer).post(path, {"procuratorate_notified_on": day(0)})
    assert (ok.status_code, ok.json()["procuratorate_notified_on"]) == (200, day(0))


def test_rejecting_needs_a_note_and_is_final(officers, case, api):
    leave = file(officers.owner, case, 3, 5)
    client = api(officers.owner)
    assert client.post(f"/api/v1/leave-requests/{leave.pk}/reject", {}).json()["details"] == {"field": "note"}
    ok = client.post(f"/api/v1/leave-requests/{leave.pk}/reject", {"note": "理由不充分"})
    assert (ok.status_code, ok.json()["state"], ok.json()["decision_note"]) == (200, "rejected", "理由不充分")
    assert client.post(f"/api/v1/leave-requests/{leave.pk}/approve", {}).status_code == 409


def test_only_the_filing_officer_withdraws_and_only_while_pending(tree, officers, case, api):
    other = make_user("other_a1", tree.township_a1, Role.TOWNSHIP_OFFICER)
    leave = file(officers.owner, case, 3, 5)
    assert api(other).post(f"/api/v1/leave-requests/{leave.pk}/cancel").status_code == 403
    assert (
        api(officers.owner).post(f"/api/v1/leave-requests/{leave.pk}/cancel").json()["state"] == "cancelled"
    )
    assert api(officers.owner).post(f"/api/v1/leave-requests/{leave.pk}/cancel").status_code == 409


def test_overlapping_requests_are_refused(officers, case):
    from backend.core.errors import Conflict

    first = file(officers.owner, case, 3, 9)
    with pytest.raises(Conflict) as refused:
        file(officers.owner, case, 9, 12)
    assert refused.value.details == {"overlaps": first.pk}


def test_only_active_correction_cases_apply(tree, officers):
    from backend.core.errors import Conflict, Invalid

    who = factories.person(officers.owner, tree.township_a1)
    pending = factories.correction(officers.owner, who)
    with pytest.raises(Conflict):
        file(officers.owner, pending, 3, 5)
    other = factories.person(officers.owner, tree.township_a1)
    with pytest.raises(Invalid):
        file(officers.owner, factories.aftercare(officers.owner, other), 3, 5)


def test_awaiting_me_is_the_queue_of_my_tier_and_scope(officers, case, county_officer, city_officer, api):
    township = file(officers.owner, case, 3, 9)
    county = file(officers.owner, case, 20, 30)
    above = file(officers.owner, case, 40, 80)

    def queue(user) -> list[int]:
        return [i["id"] for i in api(user).get("/api/v1/leave-requests?awaiting_me=true").json()["items"]]

    assert queue(officers.owner) == [township.pk]
    assert queue(county_officer) == [county.pk]
    assert queue(city_officer) == [above.pk]
    assert queue(officers.colleague) == []
    approve_leave(by=officers.owner, leave=township)
    assert queue(officers.owner) == []
    listed = api(officers.owner).get(f"/api/v1/leave-requests?case_id={case.pk}&tier=county").json()["items"]
    assert [i["id"] for i in listed] == [county.pk]


def test_every_action_is_audited(officers, case, api):
    client = api(officers.owner)
    created = client.post("/api/v1/leave-requests", leave_body(case, 3, 5)).json()
    client.get(f"/api/v1/leave-requests/{created['id']}")
    client.post(f"/api/v1/leave-requests/{created['id']}/approve", {})
    client.post(f"/api/v1/leave-requests/{created['id']}/return", {})
    actions = list(
        AuditEvent.objects.filter(target_type="supervision.leaverequest", target_id=str(created["id"]))
        .values_list("action", flat=True)
    )  # fmt: skip
    assert actions == ["leave.create", "leave.read", "leave.approve", "leave.return"]
    assert all("测试" not in str(e.details) for e in AuditEvent.objects.filter(action__startswith="leave."))


def test_team_members_see_no_leave(tree, officers, case, api):
    from backend.people.models import TeamMember

    member = make_user("member", tree.township_a1, Role.TEAM_MEMBER)
    TeamMember.objects.create(team=case.team, user=member, role="volunteer", gender="male")
    leave = file(officers.owner, case, 3, 5)
    assert api(member).get(f"/api/v1/leave-requests/{leave.pk}").status_code == 404


# --- the scoping trio on every endpoint ----------------------------------------------------------------


@pytest.fixture
def objects(officers, case) -> dict:
    return {"case": case, "leave": file(officers.owner, case, 3, 5)}


ENDPOINTS = {
    "get": Endpoint("GET", lambda o: f"/api/v1/leave-requests/{o['leave'].pk}"),
    "create": Endpoint(
        "POST", lambda o: "/api/v1/leave-requests", lambda o: leave_body(o["case"], 10, 12), ok=201
    ),
    "approve": Endpoint("POST", lambda o: f"/api/v1/leave-requests/{o['leave'].pk}/approve", lambda o: {}),
    "reject": Endpoint(
        "POST", lambda o: f"/api/v1/leave-requests/{o['leave'].pk}/reject", lambda o: {"note": "否"}
    ),
    "cancel": Endpoint("POST", lambda o: f"/api/v1/leave-requests/{o['leave'].pk}/cancel"),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_leave_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [ENDPOINTS[name].ok, 404, 404]


def test_return_is_scoped_to_the_officers_office(officers, objects, api):
    approve_leave(by=officers.owner, leave=objects["leave"])
    endpoint = Endpoint("POST", lambda o: f"/api/v1/leave-requests/{o['leave'].pk}/return", lambda o: {})
    assert run_trio(officers, endpoint, objects, api) == [200, 404, 404]


def test_the_list_holds_only_what_the_reader_may_see(officers, objects, api):
    def listed(user) -> set[int]:
        return {i["id"] for i in api(user).get("/api/v1/leave-requests").json()["items"]}

    assert (listed(officers.owner), listed(officers.colleague), listed(officers.outsider)) == (
        {objects["leave"].pk}, set(), set(),
    )  # fmt: skip
