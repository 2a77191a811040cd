"""The console's case and team forms: each kind of case opened from the person page, its particulars
corrected, every transition the state machine allows now offered as a button, marks, placements,
emergencies and the team — each with the API's validation beside the field, refusals with their reason,
and nothing written when the input is impossible or garbage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.models import Role
from backend.people.actions.teams import add_member
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, CaseMark, CaseTransition, EmergencyRecord, Placement, TeamMember
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(officers):
    return officers.owner


@pytest.fixture
def person(owner, tree):
    return factories.person(owner, tree.township_a1, name="测试李四")


@pytest.fixture
def client(owner) -> Client:
    return signed_in(owner)


def correction_form(**overrides) -> dict:
    values = {
        "sentence_type": "02", "crime": "测试罪名", "court": "演示县人民法院", "judgment.number": "（2026）测刑初字第9号",
        "judgment_effective_on": day(-2), "term_start": day(-2), "term_end": day(363), "prohibition_orders": "",
    }  # fmt: skip
    values.update(overrides)
    return values


def field_error(response, name: str) -> str:
    """The message shown beside ``name`` (``<span class="field-error" id="<name>-error">``)."""
    html = response.content.decode()
    marker = f'id="{name}-error" role="alert">'
    assert marker in html, (name, html[html.find("errors-top") - 50 : html.find("errors-top") + 400])
    return html.split(marker, 1)[1].split("<", 1)[0]


# --- opening a case -------------------------------------------------------------------------------------


def test_the_person_page_offers_each_kind_of_case_the_officer_may_open(client, person):
    page = client.get(f"/console/people/{person.pk}/").content.decode()
    for kind in ("correction", "aftercare", "mental_health"):
        assert f"/console/people/{person.pk}/cases/new?kind={kind}" in page


def test_an_officer_opens_a_correction_case_with_its_own_fields(client, person, owner):
    form = client.get(f"/console/people/{person.pk}/cases/new?kind=correction").content.decode()
    for name in ("sentence_type", "crime", "court", "judgment_effective_on", "term_start", "term_end",
                 "prohibition_orders", "officer_id"):  # fmt: skip
        assert f'name="{name}"' in form
    response = client.post(
        f"/console/people/{person.pk}/cases/new?kind=correction",
        correction_form(prohibition_orders="禁止进入娱乐场所"),
    )
    assert response.status_code == 302 and response["Location"] == f"/console/people/{person.pk}/#cases"
    case = Case.objects.get(person=person)
    assert case.kind == "correction" and case.status == "pending_report" and case.officer == owner
    assert case.correction.judgment == {"number": "（2026）测刑初字第9号"}
    assert case.correction.prohibition_orders == "禁止进入娱乐场所"
    assert case.team is not None


def test_an_aftercare_case_takes_release_prison_and_key_person(client, person):
    response = client.post(
        f"/console/people/{person.pk}/cases/new?kind=aftercare",
        {"origin": "prison_release", "release_notice_on": day(-30), "release_on": day(0), "prison": "演示监狱",
         "key_person": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    case = Case.objects.get(person=person)
    assert (
        case.status == "notified"
        and case.aftercare.key_person is True
        and case.aftercare.prison == "演示监狱"
    )


def test_a_mental_health_case_takes_diagnosis_and_risk_level(client, person):
    response = client.post(
        f"/console/people/{person.pk}/cases/new?kind=mental_health",
        {"diagnosis": "bipolar", "risk_level": "3", "opened_on": day(0), "medication.药物": "测试药"},
    )
    assert response.status_code == 302
    case = Case.objects.get(person=person)
    assert case.risk_level == 3 and case.mental_health.stability == "unstable"
    assert case.mental_health.medication == {"药物": "测试药"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"term_end": day(-10)}, "term_end", "矫正终止日期必须晚于起始日期"),
        ({"judgment_effective_on": "2026-02-30"}, "judgment_effective_on", "日期格式应为 YYYY-MM-DD"),
        ({"term_start": "9999-01-01"}, "term_start", "年份应在"),
        ({"judgment_effective_on": day(5)}, "judgment_effective_on", "判决生效日期不能晚于今天"),
        ({"sentence_type": "09"}, "sentence_type", ""),
        ({"crime": ""}, "crime", "必填字段缺失"),
        ({"court": "法" * 101}, "court", ""),
        ({"crime": "罪\x00名"}, "crime", "空字符"),
        ({"officer_id": "99999999"}, "officer_id", "所选责任人不存在"),
        ({"officer_id": str(2**63)}, "officer_id", ""),
    ],
)
def test_an_impossible_or_garbage_correction_field_is_refused_beside_it_and_nothing_is_written(
    client, person, overrides, field, message
):
    response = client.post(
        f"/console/people/{person.pk}/cases/new?kind=correction", correction_form(**overrides)
    )
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert not Case.objects.filter(person=person).exists()
    assert "测试罪名" in response.content.decode() or field == "crime"  # the values stay as typed


def test_aftercare_notice_after_release_and_unknown_diagnosis_are_refused(client, person):
    response = client.post(f"/console/people/{person.pk}/cases/new?kind=aftercare",
                           {"release_notice_on": day(0), "release_on": day(-3)})  # fmt: skip
    assert response.status_code == 422
    assert field_error(response, "release_notice_on") == "释放通知日期不能晚于释放日期"
    response = client.post(f"/console/people/{person.pk}/cases/new?kind=mental_health",
                           {"diagnosis": "flu", "risk_level": "6", "opened_on": day(0)})  # fmt: skip
    assert response.status_code == 422
    assert field_error(response, "diagnosis") and field_error(response, "risk_level")
    assert not Case.objects.filter(person=person).exists()


def test_an_unknown_kind_is_refused_with_the_kinds_there_are(client, person):
    response = client.get(f"/console/people/{person.pk}/cases/new?kind=parole")
    assert response.status_code == 400
    assert "未知的案件类型" in response.content.decode()
    response = client.post(f"/console/people/{person.pk}/cases/new?kind=%00", correction_form())
    assert response.status_code == 400 and not Case.objects.exists()


def test_a_second_open_case_of_the_same_kind_is_refused_with_its_reason(client, person, owner):
    factories.correction(owner, person)
    response = client.post(f"/console/people/{person.pk}/cases/new?kind=correction", correction_form())
    assert response.status_code == 422
    assert "该人员已有进行中的社区矫正案件" in response.content.decode()
    assert Case.objects.filter(person=person).count() == 1


def test_a_health_worker_may_open_only_mental_health_cases(tree):
    doctor = make_user("doctor", tree.township_a1, Role.HEALTH_WORKER)
    person = factories.person(doctor, tree.township_a1, name="测试患者")  # a doctor sees whom they registered
    client = signed_in(doctor)
    assert client.get(f"/console/people/{person.pk}/cases/new?kind=correction").status_code == 403
    page = client.get(f"/console/people/{person.pk}/cases/new").content.decode()
    assert "kind=mental_health" in page and "kind=correction" not in page


# --- editing a case -------------------------------------------------------------------------------------


def test_the_edit_form_shows_the_current_values_and_a_sentence_reduction_moves_the_term_end(
    client, person, owner
):
    case = factories.correction(owner, person)
    form = client.get(f"/console/cases/{case.pk}/edit").content.decode()
    assert case.correction.term_end.isoformat() in form and "演示县人民法院" in form
    new_end = case.correction.term_end - dt.timedelta(days=60)
    response = client.post(f"/console/cases/{case.pk}/edit", {
        "officer_id": owner.pk, "details.court": "演示县人民法院", "details.term_end": new_end.isoformat(),
        "details.judgment.number": "（2026）减字第1号",
    })  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    case.correction.refresh_from_db()
    assert case.correction.term_end == new_end
    assert case.correction.judgment == {"number": "（2026）减字第1号"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-01", "日期格式应为 YYYY-MM-DD"),
        ("0001-01-01", "应在"),
        ("2000-01-01", "矫正终止日期必须晚于起始日期"),
    ],
)
def test_an_impossible_term_end_on_the_edit_form_is_refused_beside_it(client, person, owner, value, message):
    case = factories.correction(owner, person)
    before = case.correction.term_end
    response = client.post(f"/console/cases/{case.pk}/edit", {"details.term_end": value})
    assert response.status_code == 422
    assert message in field_error(response, "details.term_end")
    case.correction.refresh_from_db()
    assert case.correction.term_end == before


def test_an_officer_sees_no_diagnosis_field_when_editing_a_mental_health_case(client, person, owner):
    case = factories.mental_health(owner, person)
    form = client.get(f"/console/cases/{case.pk}/edit").content.decode()
    assert "details.diagnosis" not in form and "仅卫生人员" in form


# --- transitions ----------------------------------------------------------------------------------------


def test_the_person_page_shows_exactly_the_transitions_allowed_now(client, person, owner):
    case = factories.correction(owner, person)
    page = client.get(f"/console/people/{person.pk}/").content.decode()
    assert f"/console/cases/{case.pk}/transitions?action=report" in page
    assert f"/console/cases/{case.pk}/transitions?action=terminate" in page
    assert "action=release" not in page and "action=start_leave" not in page
    transition_case(by=owner, case=case, action="report")
    page = client.get(f"/console/people/{person.pk}/").content.decode()
    assert 'action=report"' not in page
    for action in ("end_term", "start_leave", "report_lost_contact", "detain", "request_revocation"):
        assert f"action={action}" in page


def test_a_team_member_sees_no_transition_buttons(tree, person, owner):
    case = factories.correction(owner, person)
    volunteer = make_user("volunteer", tree.township_a1, Role.TEAM_MEMBER)
    add_member(by=owner, team=case.team, role="volunteer", gender="male", user=volunteer)
    page = signed_in(volunteer).get(f"/console/people/{person.pk}/").content.decode()
    assert "action=report" not in page and "cases/new" not in page
    response = signed_in(volunteer).post(f"/console/cases/{case.pk}/transitions", {"action": "report"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "pending_report"


def test_the_intake_report_is_recorded_through_its_form(client, person, owner):
    case = factories.correction(owner, person)
    form = client.get(f"/console/cases/{case.pk}/transitions?action=report").content.decode()
    assert 'name="effective_on"' in form and 'value="report"' in form
    response = client.post(f"/console/cases/{case.pk}/transitions",
                           {"action": "report", "effective_on": day(-1), "note": "本人到所报到"})  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "active" and case.category == "strict"
    assert CaseTransition.objects.get(case=case).note == "本人到所报到"


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"action": "report", "effective_on": day(3)}, "effective_on", "生效日期不能晚于今天"),
        ({"action": "report", "effective_on": "2026-02-31"}, "effective_on", "日期格式应为 YYYY-MM-DD"),
        ({"action": "report", "effective_on": day(-30)}, "effective_on", "报到日期不能早于判决生效日期"),
        ({"action": "terminate", "reason": "bored"}, "reason", "「终止矫正」需要说明原因"),
        ({"action": "report", "note": "备\x00注"}, "note", "空字符"),
        ({"action": "report", "note": "长" * 2001}, "note", ""),
    ],
)
def test_an_impossible_transition_input_is_refused_beside_its_field(
    client, person, owner, post, field, message
):
    case = factories.correction(owner, person)
    response = client.post(f"/console/cases/{case.pk}/transitions", post)
    assert response.status_code == 422
    assert message in field_error(response, field)
    case.refresh_from_db()
    assert case.status == "pending_report" and not CaseTransition.objects.filter(case=case).exists()


def test_an_unknown_or_not_allowed_transition_is_refused_with_its_reason(client, person, owner):
    case = factories.correction(owner, person)
    response = client.post(f"/console/cases/{case.pk}/transitions", {"action": "fly_away"})
    assert response.status_code == 422 and "社区矫正案件没有「fly_away」操作" in response.content.decode()
    response = client.post(f"/console/cases/{case.pk}/transitions", {"action": "release"})
    assert (
        response.status_code == 422
        and "当前状态为「待报到」，不能执行「解除矫正」" in response.content.decode()
    )


def test_release_while_a_revocation_is_pending_shows_why(client, person, owner):
    case = factories.correction(
        owner, person, judgment_effective_on=TODAY - dt.timedelta(days=400),
        term_start=TODAY - dt.timedelta(days=400), term_end=TODAY - dt.timedelta(days=1),
    )  # fmt: skip
    for action in ("report", "request_revocation", "end_term"):
        case = transition_case(by=owner, case=case, action=action)
    page = client.get(f"/console/people/{person.pk}/").content.decode()
    assert "action=release" in page and "撤销/收监审批中" in page
    response = client.post(f"/console/cases/{case.pk}/transitions", {"action": "release"})
    assert response.status_code == 422
    assert "撤销缓刑/假释或收监执行正在审批，不能解除矫正" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "term_ended"


def test_a_key_releasee_is_handed_over_only_with_the_hand_over_record(client, person, owner):
    case = factories.aftercare(owner, person, key_person=True)
    response = client.post(f"/console/cases/{case.pk}/transitions", {"action": "hand_over"})
    assert response.status_code == 422 and "必接必送" in field_error(response, "handover")
    response = client.post(f"/console/cases/{case.pk}/transitions", {
        "action": "hand_over", "handover.received_by": "测试接收人", "handover.place": "演示监狱门口",
        "handover.police_registered": "true",
    })  # fmt: skip
    assert response.status_code == 302
    case.aftercare.refresh_from_db()
    assert case.aftercare.handover == {
        "received_by": "测试接收人",
        "place": "演示监狱门口",
        "police_registered": True,
    }


# --- marks, placements, emergencies ---------------------------------------------------------------------


def test_a_category_change_needs_a_reason_and_a_date_not_in_the_future(client, person, owner):
    case = transition_case(by=owner, case=factories.correction(owner, person), action="report")
    url = f"/console/cases/{case.pk}/marks"
    assert "严管" in client.get(url).content.decode()
    response = client.post(
        url, {"kind": "category", "value": "normal", "effective_on": day(1), "reason": "表现良好"}
    )
    assert response.status_code == 422 and field_error(response, "effective_on") == "生效日期不能晚于今天"
    response = client.post(url, {"kind": "category", "value": "normal", "effective_on": day(0), "reason": ""})
    assert response.status_code == 422 and field_error(response, "reason") == "必填字段缺失"
    response = client.post(
        url, {"kind": "category", "value": "severe", "effective_on": day(0), "reason": "x"}
    )
    assert response.status_code == 422 and "strict/normal/lenient" in field_error(response, "value")
    response = client.post(url, {"kind": "risk_level", "value": "2", "effective_on": day(0), "reason": "x"})
    assert response.status_code == 422 and "没有「危险性评估等级」" in response.content.decode()
    assert CaseMark.objects.filter(case=case).count() == 1  # the intake's 严管 only
    response = client.post(
        url, {"kind": "category", "value": "normal", "effective_on": day(0), "reason": "表现良好"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.category == "normal"


def test_a_placement_ending_before_it_starts_is_refused_and_a_good_one_recorded(client, person, owner):
    case = factories.aftercare(owner, person)
    url = f"/console/cases/{case.pk}/placements"
    response = client.post(url, {"kind": "job", "start_on": day(0), "end_on": day(-5)})
    assert response.status_code == 422 and field_error(response, "end_on") == "结束日期不能早于开始日期"
    response = client.post(url, {"kind": "spaceship", "start_on": day(0)})
    assert response.status_code == 422 and field_error(response, "kind")
    assert not Placement.objects.exists()
    assert client.post(url, {"kind": "job", "start_on": day(0), "note": "测试工厂"}).status_code == 302
    assert "测试工厂" in client.get(url).content.decode()


def test_placements_belong_to_aftercare_cases_only(client, person, owner):
    case = factories.correction(owner, person)
    assert client.get(f"/console/cases/{case.pk}/placements").status_code == 404
    assert client.get(f"/console/cases/{case.pk}/emergencies").status_code == 404


def test_an_emergency_in_the_future_is_refused_and_one_in_office_time_recorded(client, person, owner, tree):
    case = factories.mental_health(owner, person)
    url = f"/console/cases/{case.pk}/emergencies"
    later = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"occurred_at": later, "description": "测试"})
    assert response.status_code == 422 and field_error(response, "occurred_at") == "发生时间不能晚于现在"
    response = client.post(url, {"occurred_at": "2026-02-30T10:00", "description": "测试"})
    assert response.status_code == 422 and field_error(response, "occurred_at")
    assert not EmergencyRecord.objects.exists()
    earlier = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"occurred_at": earlier, "description": "家中砸物，已劝解"}).status_code == 302
    record = EmergencyRecord.objects.get()
    assert abs((timezone.now() - record.occurred_at) - dt.timedelta(hours=2)) < dt.timedelta(minutes=2)
    assert "家中砸物" not in client.get(url).content.decode()  # the list: health staff only
    doctor = make_user("doctor", tree.township_a1, Role.HEALTH_WORKER)
    assert "家中砸物" in signed_in(doctor).get(url).content.decode()


# --- the team -------------------------------------------------------------------------------------------


def test_a_female_subjects_team_activates_only_with_a_woman_and_a_leader(client, owner, tree):
    woman = factories.person(owner, tree.township_a1, name="测试王芳", female=True)
    case = factories.correction(owner, woman)
    url = f"/console/cases/{case.pk}/team"
    page = client.get(url).content.decode()
    assert "小组须有组长" in page and "女性对象的小组须有女性成员" in page
    assert client.post(url, {"role": "leader", "gender": "male", "user_id": owner.pk}).status_code == 302
    response = client.post(f"{url}/activate", follow=True)
    assert "小组不能启用：女性对象的小组须有女性成员" in response.content.decode()
    case.team.refresh_from_db()
    assert case.team.activated_at is None
    assert (
        client.post(
            url, {"role": "family", "gender": "female", "name": "测试母亲", "phone": "13900000000"}
        ).status_code
        == 302
    )
    response = client.post(f"{url}/activate", follow=True)
    assert "小组已启用" in response.content.decode()
    case.team.refresh_from_db()
    assert case.team.activated_at is not None
    leader = TeamMember.objects.get(team=case.team, role="leader")
    response = client.post(f"{url}/members/{leader.pk}/remove", follow=True)
    assert "移除后小组将不符合要求：小组须有组长" in response.content.decode()


def test_a_minors_team_needs_someone_trained_for_minors(client, owner, tree):
    minor = factories.person(
        owner, tree.township_a1, name="测试小明", birth=TODAY.replace(year=TODAY.year - 16)
    )
    case = factories.correction(owner, minor)
    url = f"/console/cases/{case.pk}/team"
    client.post(url, {"role": "leader", "gender": "male", "user_id": owner.pk})
    response = client.post(f"{url}/activate", follow=True)
    assert "未成年对象的小组须有熟悉未成年人身心特点的成员" in response.content.decode()
    client.post(url, {"role": "school", "gender": "male", "name": "测试老师", "trained_for_minors": "on"})
    assert "小组已启用" in client.post(f"{url}/activate", follow=True).content.decode()


@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"role": "leader", "gender": "male"}, "user_id", "二者选一"),
        (
            {"role": "leader", "gender": "male", "user_id": "@owner", "name": "两者都填"},
            "user_id",
            "二者选一",
        ),
        ({"role": "astronaut", "gender": "male", "name": "测试"}, "role", "未知的小组职责"),
        ({"role": "family", "gender": "other", "name": "测试"}, "gender", ""),
        ({"role": "family", "gender": "male", "name": "名" * 65}, "name", ""),
        ({"role": "family", "gender": "male", "name": "测\x00试"}, "name", "空字符"),
        ({"role": "family", "gender": "male", "user_id": "0"}, "user_id", ""),
    ],
)
def test_a_garbage_member_is_refused_beside_its_field(client, person, owner, post, field, message):
    case = factories.correction(owner, person)
    post = {k: str(owner.pk) if v == "@owner" else v for k, v in post.items()}
    response = client.post(f"/console/cases/{case.pk}/team", post)
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert not TeamMember.objects.filter(team=case.team).exists()


def test_another_offices_officer_gets_404_for_every_case_page(officers, person, owner):
    case = factories.correction(owner, person)
    colleague = signed_in(officers.colleague)
    for path in ("edit", "transitions", "marks", "team"):
        assert colleague.get(f"/console/cases/{case.pk}/{path}").status_code == 404
    assert colleague.post(f"/console/cases/{case.pk}/team/activate").status_code == 404
    assert colleague.get(f"/console/people/{person.pk}/cases/new?kind=correction").status_code == 404
