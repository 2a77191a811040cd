"""Leave decided in time (实施办法 Arts. 27–28): the queue is the deciding tier's, a decision by the wrong tier
is refused, a request still undecided when it would start expires with the sweep (once, audited, the
filer told in the inbox), and a refusal reaches the filer with a link to its reason but never the reason
itself, the destination or a name (a notice may go out by e-mail)."""

# ruff: noqa: F811  (fixtures are imported from test_leave_requests)
from __future__ import annotations

import datetime as dt

import pytest

from backend.core.errors import Conflict, Forbidden
from backend.core.models import AuditEvent, Role
from backend.supervision.actions.leave import (
    approve_leave,
    expire_undecided_leave,
    expires_at,
    reject_leave,
)
from backend.supervision.models import LeaveRequest
from backend.supervision.models.leave import day_start
from backend.supervision.scheduler import job_sweep
from notifications import sender
from notifications.models import InboxMessage
from tests.conftest import make_user
from tests.supervision.test_leave_requests import case, city_officer, county_officer, file, today  # noqa: F401

pytestmark = pytest.mark.django_db


def inbox(user) -> list[InboxMessage]:
    while sender.handle_batch():
        pass
    return list(InboxMessage.objects.filter(recipient=user).order_by("id"))


def queue(client) -> list[int]:
    return [i["id"] for i in client.get("/api/v1/leave-requests?awaiting_me=true").json()["items"]]


def test_each_tier_is_in_its_approvers_queue_and_no_one_elses(
    tree, officers, case, county_officer, city_officer, api
):
    township = file(officers.owner, case, 3, 5)
    county = file(officers.owner, case, 10, 20)
    above = file(officers.owner, case, 30, 70)
    head = make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    assert queue(api(officers.owner)) == [township.pk]
    assert queue(api(county_officer)) == [county.pk] == queue(api(head))
    assert queue(api(city_officer)) == [above.pk]
    assert queue(api(officers.colleague)) == [] == queue(api(officers.outsider))


@pytest.mark.parametrize(
    ("start", "end", "wrong"),
    [(3, 5, "county_officer"), (10, 20, "owner"), (10, 20, "city_officer"), (30, 70, "county_officer")],
    ids=[
        "county on a 司法所 leave",
        "司法所 on a county leave",
        "city on a county leave",
        "county on an above leave",
    ],
)
def test_a_decision_by_the_wrong_tier_is_refused(
    officers, case, county_officer, city_officer, start, end, wrong
):
    leave = file(officers.owner, case, start, end)
    who = {"county_officer": county_officer, "owner": officers.owner, "city_officer": city_officer}[wrong]
    with pytest.raises(Forbidden, match="审批"):
        approve_leave(by=who, leave=leave, procuratorate_notified_on=today())
    with pytest.raises(Forbidden):
        reject_leave(by=who, leave=leave, note="理由（测试）")
    assert LeaveRequest.objects.get(pk=leave.pk).state == "pending"


def test_an_undecided_request_expires_when_it_would_start_once_and_tells_the_filer(officers, case, api):
    leave = file(officers.owner, case, 3, 5)
    approved = file(officers.owner, case, 6, 7)
    approve_leave(by=officers.owner, leave=approved)
    inbox(officers.owner)
    InboxMessage.objects.all().delete()
    start = day_start(leave.starts_on)
    assert expires_at(leave) == start
    assert expire_undecided_leave(start - dt.timedelta(seconds=1)) == 0
    job_sweep(start)
    job_sweep(start + dt.timedelta(minutes=1))  # the next sweep: nothing left, nobody told twice
    leave.refresh_from_db()
    assert (leave.state, LeaveRequest.objects.get(pk=approved.pk).state) == ("expired", "approved")
    event = AuditEvent.objects.get(action="leave.expire")
    assert event.target_id == str(leave.pk) and event.actor_label == "system:expiry"
    (message,) = inbox(officers.owner)
    assert "逾期" in message.title and f"第 {leave.pk} 号外出申请" in message.body
    assert leave.destination not in message.body and case.person.name not in message.body


def test_a_request_whose_start_has_come_cannot_be_decided_even_before_the_sweep(officers, case, api):
    leave = file(officers.owner, case, 3, 5)
    LeaveRequest.objects.filter(pk=leave.pk).update(starts_on=today())
    leave.refresh_from_db()
    assert queue(api(officers.owner)) == []
    response = api(officers.owner).post(f"/api/v1/leave-requests/{leave.pk}/approve", {})
    assert response.status_code == 409 and "已失效" in response.json()["message"]
    with pytest.raises(Conflict):
        reject_leave(by=officers.owner, leave=leave, note="理由（测试）")


def test_a_province_may_let_the_first_days_decision_stand(officers, case, province_rules):
    province_rules(leave_undecided_expiry_hours=24)
    leave = file(officers.owner, case, 3, 5)
    assert expire_undecided_leave(day_start(leave.starts_on) + dt.timedelta(hours=23)) == 0
    assert expire_undecided_leave(day_start(leave.starts_on) + dt.timedelta(hours=24)) == 1


def test_a_refusal_tells_the_filer_with_a_link_to_its_reason_never_the_reason_itself(
    officers, case, county_officer, api
):
    leave = file(officers.owner, case, 10, 20)
    response = api(county_officer).post(
        f"/api/v1/leave-requests/{leave.pk}/reject", {"note": "事由不充分（测试）"}
    )
    assert response.json()["state"] == "rejected"
    (message,) = inbox(officers.owner)
    assert "不予批准" in message.title and "理由请在工作台查看" in message.body and "11 日" in message.body
    assert "事由不充分" not in message.body
    assert leave.destination not in message.body and case.person.name not in message.body
    assert f"/console/approvals/leave/{leave.pk}/" in message.body


def test_an_approval_tells_the_filer_too(officers, case):
    approve_leave(by=officers.owner, leave=file(officers.owner, case, 3, 5))
    (message,) = inbox(officers.owner)
    assert message.title.endswith("外出申请已批准")
