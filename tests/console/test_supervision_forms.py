"""The supervision forms of the console (check-ins, the check-in plan, follow-ups, leave, sanctions): each
writes through the API's action, and each refusal — the schema's or the action's — is shown beside its
field with the values as typed and nothing written."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.audit_actions import AuditAction
from backend.core.models import AuditEvent, Role
from backend.people.actions.teams import add_member
from backend.supervision.actions.leave import approve_leave, create_leave
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import (
    Checkin,
    CheckinPlan,
    FollowUp,
    LeaveRequest,
    LeaveState,
    Sanction,
    SanctionSuggestion,
)
from tests.conftest import make_user
from tests.console import world as w
from tests.people import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NUL = "探亲\x00"


def local(moment: dt.datetime) -> str:
    """As a ``datetime-local`` field posts it: the office's wall-clock time, no zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def world(tree, officers):
    return w.build(tree, officers)


@pytest.fixture
def client(officers) -> Client:
    client = Client()
    client.force_login(officers.owner)
    return client


def field_error(response, name: str) -> str:
    """The message shown beside a field (``<span class="field-error" id="<name>-error">``)."""
    html = response.content.decode()
    marker = f'id="{name}-error" role="alert">'
    assert marker in html, (name, html[html.find("errors-top") - 100 : html.find("errors-top") + 600])
    return html.split(marker, 1)[1].split("</span>", 1)[0]


def top_error(response) -> str:
    return response.content.decode().split('class="errors-top"', 1)[1].split("</div>", 1)[0]


# --- check-ins ------------------------------------------------------------------------------------------


def test_an_officer_records_a_check_in_and_it_is_on_the_person_page(client, world):
    url = f"/console/cases/{world.case.pk}/checkins/new"
    assert "登记签到与报告" in client.get(url).content.decode()
    response = client.post(url, {"kind": "in_person", "at": local(timezone.now() - dt.timedelta(hours=2))})
    assert response.status_code == 302 and response["Location"].endswith("#checkins")
    checkin = Checkin.objects.get(case=world.case)
    assert (checkin.kind, checkin.recorded_by) == ("in_person", world.case.officer or checkin.recorded_by)
    assert (
        timezone.localtime(checkin.at).hour == timezone.localtime(timezone.now() - dt.timedelta(hours=2)).hour
    )
    page = client.get(f"/console/people/{world.person.pk}/").content.decode()
    assert "当面报到" in page and f"/console/cases/{world.case.pk}/checkins/new" in page


def test_education_hours_are_recorded_with_the_check_in(client, world):
    url = f"/console/cases/{world.case.pk}/checkins/new"
    assert client.post(url, {"kind": "education", "hours": "2.5", "note": "法治教育"}).status_code == 302
    assert float(Checkin.objects.get(case=world.case).hours) == 2.5


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"kind": "phone", "at": "2025-02-30T10:00"}, "at", "时间格式应为 ISO 8601"),
        ({"kind": "phone", "at": "0001-01-01T10:00"}, "at", "年份应在"),
        ({"kind": "phone", "at": "2999-01-01T10:00"}, "at", "年份应在"),
        ({"kind": "phone", "at": "{tomorrow}"}, "at", "签到时间不能晚于现在"),
        ({"kind": "education", "hours": "-2"}, "hours", "小时数应大于 0 且不超过 24"),
        ({"kind": "education", "hours": "25"}, "hours", "小时数应大于 0 且不超过 24"),
        ({"kind": "education", "hours": "nan"}, "hours", "取值不合法"),
        ({"kind": "education", "hours": "二"}, "hours", "应为数字"),
        ({"kind": "education"}, "hours", "请填写小时数"),
        ({"kind": "phone", "hours": "1"}, "hours", "只有教育学习与社区服务登记小时数"),
        ({"kind": "app"}, "kind", "签到方式应为"),
        ({"kind": "phone", "note": "长" * 2001}, "note", "长度超出上限"),
        ({"kind": "phone", "note": NUL}, "note", "不能包含空字符"),
        ({}, "kind", "必填字段缺失"),
    ],
)
def test_a_check_in_the_rules_refuse_is_shown_beside_its_field_and_nothing_is_written(
    client, world, posted, field, message
):
    posted = {
        k: v.replace("{tomorrow}", local(timezone.now() + dt.timedelta(days=1))) for k, v in posted.items()
    }
    response = client.post(f"/console/cases/{world.case.pk}/checkins/new", posted)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert not Checkin.objects.exists()


def test_a_check_in_for_a_case_not_under_correction_is_refused_with_the_reason(client, world, officers):
    aftercare = factories.aftercare(officers.owner, world.person)
    url = f"/console/cases/{aftercare.pk}/checkins/new"
    assert "只有社区矫正案件有签到与报告" in client.get(url).content.decode()
    response = client.post(url, {"kind": "phone"})
    assert response.status_code == 422 and "只有社区矫正案件有签到与报告" in response.content.decode()
    assert not Checkin.objects.exists()


# --- the check-in plan ----------------------------------------------------------------------------------


def test_an_officer_adjusts_a_duty_of_the_plan_and_the_change_is_audited(client, world):
    url = f"/console/cases/{world.case.pk}/checkin-plans/"
    page = client.get(url).content.decode()
    plan = CheckinPlan.objects.filter(case=world.case, active=True).first()
    assert plan is not None and f'id="plan-{plan.kind}"' in page
    response = client.post(url, {"kind": plan.kind, "required": "3", "period": "month", "active": "on"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.required, plan.period, plan.override) == (3, "month", True)
    assert AuditEvent.objects.filter(action=AuditAction.CHECKIN_PLAN_OVERRIDE).count() == 1
    assert client.post(url, {"kind": plan.kind, "reset": "true"}).status_code == 302
    plan.refresh_from_db()
    assert plan.override is False


def test_a_duty_can_be_added_and_stopped(client, world):
    url = f"/console/cases/{world.case.pk}/checkin-plans/"
    client.get(url)
    kind = next(
        k
        for k in ("community_service", "education", "written", "phone")
        if not CheckinPlan.objects.filter(case=world.case, kind=k).exists()
    )
    assert (
        client.post(url, {"kind": kind, "required": "4", "period": "week", "active": "on"}).status_code == 302
    )
    assert CheckinPlan.objects.get(case=world.case, kind=kind).active is True
    assert client.post(url, {"kind": kind, "required": "4", "period": "week"}).status_code == 302  # unticked
    assert CheckinPlan.objects.get(case=world.case, kind=kind).active is False


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"required": "0", "period": "month", "active": "on"}, "required", "要求次数（小时数）应至少为 1"),
        ({"required": "-5", "period": "month", "active": "on"}, "required", "要求次数（小时数）应至少为 1"),
        ({"required": str(2**70), "period": "month", "active": "on"}, "required", "数值过大"),
        ({"required": "两次", "period": "month", "active": "on"}, "required", "应为整数"),
        ({"required": "2", "period": "year", "active": "on"}, "period", "周期应为 week 或 month"),
        ({"required": "2", "period": NUL, "active": "on"}, "period", "不能包含空字符"),
    ],
)
def test_a_plan_change_the_rules_refuse_is_shown_beside_its_field_and_nothing_changes(
    client, world, posted, field, message
):
    url = f"/console/cases/{world.case.pk}/checkin-plans/"
    client.get(url)
    plan = CheckinPlan.objects.filter(case=world.case, active=True).first()
    before = (plan.required, plan.period, plan.override)
    response = client.post(url, {"kind": plan.kind, **posted})
    assert response.status_code == 422
    assert message in field_error(response, field)
    plan.refresh_from_db()
    assert (plan.required, plan.period, plan.override) == before


def test_an_unknown_kind_of_duty_is_refused_beside_the_kind(client, world):
    response = client.post(
        f"/console/cases/{world.case.pk}/checkin-plans/",
        {"kind": "telepathy", "required": "1", "period": "week"},
    )
    assert response.status_code == 422 and "未知的签到方式" in field_error(response, "kind")


# --- follow-ups -----------------------------------------------------------------------------------------


def test_an_officer_records_a_home_visit_for_an_aftercare_case(client, world, officers):
    aftercare = factories.aftercare(officers.owner, world.person)
    url = f"/console/cases/{aftercare.pk}/followups/new"
    page = client.get(url).content.decode()
    assert "帮教走访/联系" in page and "精神障碍患者随访" not in page  # the kinds of this case only
    response = client.post(
        url, {"kind": "aftercare_contact", "at": local(timezone.now()), "note": "上门走访，家中正常"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#followups")
    assert FollowUp.objects.get(case=aftercare).note == "上门走访，家中正常"
    assert "上门走访，家中正常" in client.get(f"/console/people/{world.person.pk}/").content.decode()


def test_a_risk_review_records_its_result(client, world, officers):
    aftercare = factories.aftercare(officers.owner, world.person)
    url = f"/console/cases/{aftercare.pk}/followups/new"
    response = client.post(url, {"kind": "aftercare_risk_review", "at": local(timezone.now())})
    assert response.status_code == 422 and "复评结果应为" in field_error(response, "aftercare_risk")
    assert not FollowUp.objects.exists()
    response = client.post(
        url, {"kind": "aftercare_risk_review", "at": local(timezone.now()), "aftercare_risk": "high"}
    )
    assert response.status_code == 302
    aftercare.refresh_from_db()
    assert aftercare.aftercare_risk == "high"


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"kind": "aftercare_contact", "at": "2026-13-01T10:00"}, "at", "时间格式应为 ISO 8601"),
        ({"kind": "aftercare_contact"}, "at", "必填字段缺失"),
        ({"kind": "aftercare_contact", "at": "{last_year}"}, "at", "时间不能早于立案日期"),
        ({"kind": "aftercare_contact", "at": "{tomorrow}"}, "at", "时间不能晚于现在"),
        ({"kind": "self_summary", "at": "{now}"}, None, "只适用于社区矫正案件"),  # the whole form's
        (
            {"kind": "aftercare_contact", "at": "{now}", "aftercare_risk": "high"},
            "aftercare_risk",
            "只有帮教风险复评",
        ),
        ({"kind": "aftercare_contact", "at": "{now}", "note": "长" * 2001}, "note", "长度超出上限"),
        ({"kind": "aftercare_contact", "at": "{now}", "note": NUL}, "note", "不能包含空字符"),
    ],
)
def test_a_follow_up_the_rules_refuse_is_shown_beside_its_field_and_nothing_is_written(
    client, world, officers, posted, field, message
):
    aftercare = factories.aftercare(officers.owner, world.person)
    now = timezone.now()
    moments = {
        "{now}": local(now),
        "{tomorrow}": local(now + dt.timedelta(days=1)),
        "{last_year}": local(now - dt.timedelta(days=400)),
    }
    posted = {k: moments.get(v, v) for k, v in posted.items()}
    response = client.post(f"/console/cases/{aftercare.pk}/followups/new", posted)
    assert response.status_code == 422
    assert message in (field_error(response, field) if field else top_error(response))
    assert not FollowUp.objects.exists()


def test_mental_health_follow_ups_are_offered_to_health_staff_only(client, world, officers, tree):
    mh = factories.mental_health(officers.owner, world.person, risk_level=1)
    url = f"/console/cases/{mh.pk}/followups/new"
    assert "仅卫生人员可以登记" in client.get(url).content.decode()  # an officer: no kind of this case
    response = client.post(url, {"kind": "mh_followup", "at": local(timezone.now()), "risk_level": "1"})
    assert response.status_code == 422 and not FollowUp.objects.exists()

    doctor = Client()
    doctor.force_login(make_user("doctor", tree.township_a1, Role.HEALTH_WORKER))
    page = doctor.get(url).content.decode()
    assert "危险性评估" in page and "服药情况" in page
    missing = doctor.post(url, {"kind": "mh_followup", "at": local(timezone.now())})
    assert missing.status_code == 422 and "随访须评估危险性等级" in field_error(missing, "risk_level")
    too_high = doctor.post(url, {"kind": "mh_followup", "at": local(timezone.now()), "risk_level": "9"})
    assert too_high.status_code == 422 and "数值过大" in field_error(too_high, "risk_level")
    long_line = doctor.post(
        url,
        {"kind": "mh_followup", "at": local(timezone.now()), "risk_level": "2", "findings.服药": "长" * 2001},
    )
    assert long_line.status_code == 422 and "长度超出上限" in field_error(long_line, "findings.服药")
    assert not FollowUp.objects.exists()
    response = doctor.post(
        url, {"kind": "mh_followup", "at": local(timezone.now()), "risk_level": "2", "findings.服药": "规律"}
    )
    assert response.status_code == 302
    followup = FollowUp.objects.get(case=mh)
    assert (followup.risk_level, followup.findings) == (2, {"服药": "规律"})


# --- leave ----------------------------------------------------------------------------------------------


def leave_form(**changes) -> dict:
    return {
        "starts_on": day(20),
        "ends_on": day(22),
        "destination": "测试市测试路 2 号",
        "reason": "探亲（测试）",
        **changes,
    }


def test_an_officer_files_a_leave_application_and_it_waits_for_approval(client, world):
    response = client.post(f"/console/cases/{world.case.pk}/leave/new", leave_form())
    assert response.status_code == 302 and response["Location"].endswith("#leave")
    leave = LeaveRequest.objects.exclude(pk=world.leave.pk).get()
    assert (leave.state, leave.tier, leave.destination) == ("pending", "township", "测试市测试路 2 号")
    assert "测试市测试路 2 号" in client.get(f"/console/people/{world.person.pk}/").content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"starts_on": day(1), "ends_on": day(2)}, "starts_on", "外出须至少提前"),
        ({"starts_on": day(-1), "ends_on": day(2)}, "starts_on", "外出日期不能早于今天"),
        ({"starts_on": day(22), "ends_on": day(20)}, "ends_on", "外出结束日期不能早于开始日期"),
        ({"starts_on": "2026-02-30"}, "starts_on", "日期格式应为 YYYY-MM-DD"),
        ({"ends_on": "明天"}, "ends_on", "日期格式应为 YYYY-MM-DD"),
        ({"ends_on": "9999-12-31"}, "ends_on", "年份应在"),
        ({"destination": ""}, "destination", "必填字段缺失"),
        ({"destination": "长" * 501}, "destination", "长度超出上限"),
        ({"reason": "   "}, "reason", "必填字段缺失"),
        ({"reason": "长" * 2001}, "reason", "长度超出上限"),
        ({"destination": NUL}, "destination", "不能包含空字符"),
        ({"frequent": "on", "ends_on": day(20 + 400)}, "ends_on", "经常性跨市县活动一次审批有效期不超过"),
        ({"starts_on": day(5), "ends_on": day(6)}, None, "时间重叠"),  # with the pending request of the world
    ],
)
def test_a_leave_application_the_rules_refuse_is_shown_beside_its_field_and_nothing_is_written(
    client, world, changes, field, message
):
    response = client.post(f"/console/cases/{world.case.pk}/leave/new", leave_form(**changes))
    assert response.status_code == 422
    if field:
        assert message in field_error(response, field)
    else:
        assert message in top_error(response)
    assert LeaveRequest.objects.count() == 1  # the world's own
    assert "测试市测试路 2 号" in response.content.decode() or "destination" in changes  # values as typed


def test_the_submitter_withdraws_a_pending_application_and_no_one_else_may(client, world, tree):
    other = Client()
    other.force_login(make_user("owner2", tree.township_a1, Role.TOWNSHIP_OFFICER))
    page = other.get(f"/console/people/{world.person.pk}/").content.decode()
    assert f"/console/leave/{world.leave.pk}/cancel" not in page  # not offered to a colleague of the office
    refused = other.post(f"/console/leave/{world.leave.pk}/cancel", follow=True)
    assert "只有提交申请的工作人员可以撤回外出申请" in refused.content.decode()
    assert LeaveRequest.objects.get(pk=world.leave.pk).state == LeaveState.PENDING

    assert (
        f"/console/leave/{world.leave.pk}/cancel"
        in client.get(f"/console/people/{world.person.pk}/").content.decode()
    )
    assert client.post(f"/console/leave/{world.leave.pk}/cancel").status_code == 302
    assert LeaveRequest.objects.get(pk=world.leave.pk).state == LeaveState.CANCELLED
    again = client.post(f"/console/leave/{world.leave.pk}/cancel", follow=True)
    assert "不能撤回" in again.content.decode()


def test_an_officer_records_the_return_from_an_approved_leave(client, world, officers):
    leave = create_leave(by=officers.owner, case=world.case, starts_on=TODAY + dt.timedelta(days=20),
                         ends_on=TODAY + dt.timedelta(days=21), destination="测试地", reason="测试")  # fmt: skip
    url = f"/console/leave/{leave.pk}/return"
    assert "不能销假" in client.get(url).content.decode()  # pending: nothing to return from yet
    approve_leave(by=officers.owner, leave=leave)
    assert f'href="{url}"' in client.get(f"/console/people/{world.person.pk}/").content.decode()
    future = client.post(url, {"returned_at": local(timezone.now() + dt.timedelta(hours=3))})
    assert future.status_code == 422 and "销假时间不能晚于当前时间" in field_error(future, "returned_at")
    garbage = client.post(url, {"returned_at": "2026-02-30T25:00"})
    assert garbage.status_code == 422 and "时间格式应为 ISO 8601" in field_error(garbage, "returned_at")
    leave.refresh_from_db()
    assert leave.state == LeaveState.APPROVED
    assert client.post(url, {}).status_code == 302
    leave.refresh_from_db()
    assert leave.state == LeaveState.RETURNED and leave.return_recorded_by == officers.owner


# --- sanctions ------------------------------------------------------------------------------------------


def test_an_officer_records_a_praise_and_it_is_on_the_person_page(client, world):
    response = client.post(
        f"/console/cases/{world.case.pk}/sanctions/new", {"kind": "praise", "reason": "积极参加公益活动"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#sanctions")
    assert Sanction.objects.get(case=world.case).kind == "praise"
    assert "积极参加公益活动" in client.get(f"/console/people/{world.person.pk}/").content.decode()


def test_a_warning_entered_by_the_township_is_a_proposal_the_county_decides(client, world):
    url = f"/console/cases/{world.case.pk}/sanctions/new"
    assert "由县级社区矫正机构决定" in client.get(url).content.decode()
    response = client.post(url, {"kind": "warning", "reason": "未按规定报告（测试）"}, follow=True)
    assert "已提请，决定后生效" in response.content.decode()
    sanction = Sanction.objects.get(case=world.case)
    assert (sanction.kind, sanction.state) == ("warning", "proposed")
    # On the person page, badged as waiting for the county; a refused one leaves the list.
    row = re.search(
        rf'<tr id="sanction-{sanction.pk}">.*?</tr>',
        client.get(f"/console/people/{world.person.pk}/").content.decode(),
        re.S,
    )
    assert row and "待县级决定" in row.group(0)
    Sanction.objects.filter(pk=sanction.pk).update(state="refused")
    assert (
        f'id="sanction-{sanction.pk}"'
        not in client.get(f"/console/people/{world.person.pk}/").content.decode()
    )


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({"kind": "praise", "reason": ""}, "reason", "必填字段缺失"),
        ({"kind": "praise", "reason": "长" * 4001}, "reason", "长度超出上限"),
        ({"kind": "praise", "reason": "测试", "decided_on": day(3)}, "decided_on", "决定日期不能晚于今天"),
        (
            {"kind": "praise", "reason": "测试", "decided_on": "2026-04-31"},
            "decided_on",
            "日期格式应为 YYYY-MM-DD",
        ),
        ({"kind": "praise", "reason": "测试", "basis": "x" * 65}, "basis", "长度超出上限"),
        ({"kind": "praise", "reason": "测试", "basis": "a\x00b"}, "basis", "不能包含空字符"),
        ({"kind": "location_order", "reason": "测试"}, "kind", "奖惩种类无效"),
    ],
)
def test_a_sanction_the_rules_refuse_is_shown_beside_its_field_and_nothing_is_written(
    client, world, posted, field, message
):
    response = client.post(f"/console/cases/{world.case.pk}/sanctions/new", posted)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert not Sanction.objects.exists()


def test_an_admonition_is_marked_remedied_from_the_person_page(client, world, officers):
    admonition = record_sanction(
        by=officers.owner, case=world.case, kind="admonition", reason="未按时报告（测试）"
    )
    assert (
        f"/console/sanctions/{admonition.pk}/remedy"
        in client.get(f"/console/people/{world.person.pk}/").content.decode()
    )
    assert client.post(f"/console/sanctions/{admonition.pk}/remedy").status_code == 302
    admonition.refresh_from_db()
    assert admonition.remedied is True
    assert (
        f"/console/sanctions/{admonition.pk}/remedy"
        not in client.get(f"/console/people/{world.person.pk}/").content.decode()
    )


def test_a_suggestion_is_accepted_or_dismissed_with_a_reason(client, world):
    first = SanctionSuggestion.objects.create(case=world.case, kind="admonition", rule="lost_contact_le_10d",
                                              details={"days": 3, "lost_since": day(-3), "ongoing": False})  # fmt: skip
    second = SanctionSuggestion.objects.create(case=world.case, kind="praise", rule="test", details={})
    page = client.get(f"/console/people/{world.person.pk}/").content.decode()
    assert f"/console/suggestions/{first.pk}/" in page and f"/console/suggestions/{second.pk}/" in page
    detail = client.get(f"/console/suggestions/{first.pk}/").content.decode()
    assert "脱管不超过十日" in detail and "脱管天数" in detail

    no_reason = client.post(f"/console/suggestions/{first.pk}/", {"_decision": "accept", "reason": ""})
    assert no_reason.status_code == 422 and "请填写事实与理由" in field_error(no_reason, "reason")
    future = client.post(
        f"/console/suggestions/{first.pk}/", {"_decision": "accept", "reason": "属实", "decided_on": day(2)}
    )
    assert future.status_code == 422 and "决定日期不能晚于今天" in field_error(future, "decided_on")
    first.refresh_from_db()
    assert first.state == "open" and not Sanction.objects.exists()
    assert (
        client.post(
            f"/console/suggestions/{first.pk}/", {"_decision": "accept", "reason": "脱管三日，属实"}
        ).status_code
        == 302
    )
    first.refresh_from_db()
    assert first.state == "accepted" and Sanction.objects.get(suggestion=first).kind == "admonition"

    no_note = client.post(f"/console/suggestions/{second.pk}/", {"_decision": "dismiss", "note": ""})
    assert no_note.status_code == 422 and "不采纳须说明理由" in field_error(no_note, "note")
    assert (
        client.post(
            f"/console/suggestions/{second.pk}/", {"_decision": "dismiss", "note": "不符合条件"}
        ).status_code
        == 302
    )
    second.refresh_from_db()
    assert second.state == "dismissed"
    assert "已「已采纳」" in client.get(f"/console/suggestions/{first.pk}/").content.decode()


def test_an_electronic_location_suggestion_is_the_county_heads_not_this_page(client, world):
    proposal = SanctionSuggestion.objects.create(
        case=world.case, kind="location_order", rule="art29_ground3", details={}
    )
    assert client.get(f"/console/suggestions/{proposal.pk}/").status_code == 404
    assert (
        f"/console/suggestions/{proposal.pk}/"
        not in client.get(f"/console/people/{world.person.pk}/").content.decode()
    )


# --- what is offered ------------------------------------------------------------------------------------


def test_the_person_page_offers_the_supervision_forms_of_each_case(client, world, officers):
    factories.aftercare(officers.owner, world.person)
    page = client.get(f"/console/people/{world.person.pk}/").content.decode()
    for path in ("checkins/new", "checkin-plans/", "followups/new", "leave/new", "sanctions/new"):
        assert f"/console/cases/{world.case.pk}/{path}" in page, path
    assert "登记帮教走访与复评" in page and "登记评估、总结与鉴定" in page


def test_a_team_member_sees_the_person_but_is_offered_no_supervision_form(world, officers, tree):
    member = make_user("volunteer", tree.grid_a1, Role.TEAM_MEMBER)
    add_member(by=officers.owner, team=world.case.team, role="volunteer", gender="male", user=member)
    client = Client()
    client.force_login(member)
    page = client.get(f"/console/people/{world.person.pk}/")
    assert page.status_code == 200
    for path in ("checkins/new", "followups/new", "leave/new", "sanctions/new"):
        assert f"/console/cases/{world.case.pk}/{path}" not in page.content.decode(), path
    assert "无权办理此类案件" in client.get(f"/console/cases/{world.case.pk}/checkins/new").content.decode()
    refused = client.post(f"/console/cases/{world.case.pk}/checkins/new", {"kind": "phone"})
    assert refused.status_code == 422 and "无权办理此类案件" in refused.content.decode()
    assert "无权提交外出申请" in client.get(f"/console/cases/{world.case.pk}/leave/new").content.decode()
    assert not Checkin.objects.exists()


def test_a_posted_nul_byte_is_refused_beside_its_field_by_every_form(client, world):
    """backend/console/forms.py refuses text no database can store, as the API does."""
    response = client.post(f"/console/cases/{world.case.pk}/checkins/new", {"kind": "phone\x00"})
    assert response.status_code == 422 and "不能包含空字符" in field_error(response, "kind")
