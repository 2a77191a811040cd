"""个人档案 PDF: what each reader gets (full or masked identity, health fields, location data), the track
map, pages that render, the audit row and the period's validation."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent, Role, User
from backend.monitoring.actions.alerts import acknowledge_alert, raise_alert
from backend.monitoring.actions.zones import create_zone
from backend.monitoring.models import Device, Position
from backend.people.actions.cases import add_emergency
from backend.people.actions.teams import add_member
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, Person, Team
from backend.supervision.actions.checkins import record_checkin
from backend.supervision.actions.followups import record_followup
from backend.supervision.actions.leave import create_leave
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.plans import ensure_default_plan
from tests.conftest import make_user
from tests.people import factories
from tests.reports.conftest import needs_poppler, pdf_text, render_pngs

pytestmark = [pytest.mark.django_db, needs_poppler]
TODAY = timezone.localdate()
HOME = (31.2304, 121.4737)


@dataclass
class File:
    subject: Person
    case: Case
    patient: Person
    member: User


def url(person: Person, query: str = "") -> str:
    return f"/api/v1/reports/person/{person.pk}.pdf{query}"


@pytest.fixture
def file(tree, officers, doctor) -> File:
    o = officers.owner
    subject = factories.person(o, tree.township_a1, name="测试甲")
    case = factories.correction(o, subject, judgment_effective_on=TODAY - dt.timedelta(days=20),
                                term_start=TODAY - dt.timedelta(days=20))  # fmt: skip
    case = transition_case(by=o, case=case, action="report", effective_on=TODAY - dt.timedelta(days=18))
    ensure_default_plan(case)
    now = timezone.now()
    record_checkin(by=o, case=case, kind="in_person", at=now - dt.timedelta(hours=2))
    record_checkin(by=o, case=case, kind="written", at=now - dt.timedelta(hours=1))
    record_sanction(by=o, case=case, kind="admonition", reason="未按时报告（测试训诫）")
    create_leave(by=o, case=case, starts_on=TODAY + dt.timedelta(days=5), ends_on=TODAY + dt.timedelta(days=7),
                 destination="测试市探亲地址", reason="探亲（测试）")  # fmt: skip
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=subject, case=case, subject="zone:t")
    acknowledge_alert(alert=alert, by=o, note="已联系本人（测试签收）")
    create_zone(by=o, jurisdiction=tree.township_a1, person=subject, name="居住地允许区域", kind="inclusion",
                geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 800})  # fmt: skip
    device = Device.objects.create(jurisdiction=tree.township_a1, kind="phone", protocol="osmand", identifier="d" * 64,
                                   person=subject)  # fmt: skip
    for i in range(3):
        fix = now - dt.timedelta(hours=5 - i)
        Position.objects.create(device=device, person=subject, fix_time=fix, received_at=fix, valid=True, source="gnss",
                                point=[HOME[0] + 0.002 * i, HOME[1] + 0.003 * i], accuracy_m=10)  # fmt: skip
    member = make_user("member_a1", tree.township_a1, Role.TEAM_MEMBER)
    add_member(by=o, team=Team.objects.get(case=case), role="volunteer", gender="male", user=member)

    patient = factories.person(doctor, tree.township_a1, name="测试乙")
    mh = factories.mental_health(doctor, patient, opened_on=TODAY - dt.timedelta(days=30))
    record_followup(by=doctor, case=mh, kind="mh_followup", at=now - dt.timedelta(days=1), risk_level=1,
                    findings={"症状": "幻听（测试）"})  # fmt: skip
    add_emergency(
        by=doctor, case=mh, occurred_at=now - dt.timedelta(days=2), description="夜间躁动（测试应急）"
    )
    return File(subject, case, patient, member)


def test_the_office_file_has_every_section_and_the_records(file, officers, api, tmp_path):
    response = api(officers.owner).get(url(file.subject))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    flat = pdf_text(response.content, tmp_path, layout=False)
    assert "个人档案" in flat
    for heading in ("一、基本信息", "二、案件及其历史", "三、矫正小组", "四、签到与报告完成情况", "五、外出请假",
                    "六、考核奖惩", "七、随访、走访与评估", "八、告警及处置情况", "九、电子定位与活动轨迹"):  # fmt: skip
        assert heading in text, heading
    assert file.subject.id_number in text  # office staff see the whole ID number
    assert file.case.number in text and "测试罪名" in text
    assert "未按时报告（测试训诫）" in flat and "测试市探亲地址" in flat
    assert "已联系本人（测试签收）" in flat and "离开允许区域（越界）" in flat
    assert "定位点3个（gnss3个）" in flat and "适用区域1个" in flat
    # This week's in-person and written reports are done (one each); earlier windows began before the duty.
    for duty in ("当面报到", "书面报告"):
        assert re.search(duty + r" \d\d-\d\d—\d\d-\d\d 1 1 已完成", text), duty
    assert "教育学习" in text and "12 0 进行中" in text


def test_a_team_member_gets_a_masked_id_and_no_criminal_or_location_detail(file, api, tmp_path):
    response = api(file.member).get(url(file.subject))
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    flat = pdf_text(response.content, tmp_path, layout=False)
    assert file.subject.id_number not in text and file.subject.id_number not in flat
    assert file.subject.id_number[:6] + "*" * 10 + file.subject.id_number[-2:] in text
    assert "需知范围" in text
    for secret in ("测试罪名", "禁止进入娱乐场所", "测试市探亲地址", "未按时报告（测试训诫）", "gnss"):
        assert secret not in flat, secret
    assert "定位信息仅用于社区矫正工作" in flat


def test_a_reader_without_health_access_gets_no_diagnosis_treatment_or_findings(
    file, officers, api, tmp_path
):
    text = pdf_text(api(officers.owner).get(url(file.patient)).content, tmp_path, layout=False)
    for secret in ("精神分裂症", "测试药", "幻听", "夜间躁动"):
        assert secret not in text, secret
    assert "仅卫生人员可见" in text


def test_a_health_worker_sees_the_diagnosis_and_findings(file, doctor, api, tmp_path):
    text = pdf_text(api(doctor).get(url(file.patient)).content, tmp_path, layout=False)
    for shown in ("精神分裂症", "测试药", "幻听（测试）", "夜间躁动（测试应急）"):
        assert shown in text, shown


def test_the_pages_and_the_track_map_render_to_images(file, officers, api, tmp_path):
    pages = render_pngs(api(officers.owner).get(url(file.subject)).content, tmp_path)
    assert len(pages) >= 2
    assert all(page.stat().st_size > 5_000 for page in pages)


def test_every_export_is_audited_with_ids_and_the_period_but_no_names(file, officers, api):
    first, last = TODAY - dt.timedelta(days=3), TODAY
    api(officers.owner).get(url(file.subject, f"?from={first}&to={last}"))
    event = AuditEvent.objects.filter(action="report.person_file").get()
    assert (event.actor_id, event.target_id) == (officers.owner.pk, str(file.subject.pk))
    assert event.details["from"] == first.isoformat() and event.details["to"] == last.isoformat()
    assert event.details["points"] == 3 and event.details["access"] == "full"
    assert "测试甲" not in str(event.details) and file.subject.id_number not in str(event.details)


@pytest.mark.parametrize(
    ("query", "words"),
    [("?from=2026-13-01", "日期"), ("?from=yesterday", "日期"), ("?from=2026-11-10&to=2026-11-01", "不能早于"),
     ("?from=2026-01-01&to=2026-12-01", "93")],
)  # fmt: skip
def test_a_bad_period_is_422_in_chinese(query, words, file, officers, api):
    response = api(officers.owner).get(url(file.subject, query))
    assert response.status_code == 422 and words in response.json()["message"]
    assert not AuditEvent.objects.filter(action="report.person_file").exists()


def test_a_minors_file_without_a_grant_is_404_even_for_the_office(tree, officers, api):
    minor = factories.person(officers.owner, tree.township_a1, birth=TODAY.replace(year=TODAY.year - 15))
    colleague_view = api(officers.colleague).get(url(minor))
    assert colleague_view.status_code == 404
    assert api(officers.owner).get(url(minor)).status_code == 200  # the registering officer holds a grant


def test_the_sections_are_printed_once_each_in_their_numbered_order(file, officers, api, tmp_path):
    text = pdf_text(api(officers.owner).get(url(file.subject)).content, tmp_path)
    headings = ("一、基本信息", "二、案件及其历史", "三、矫正小组", "四、签到与报告完成情况", "五、外出请假",
                "六、考核奖惩", "七、随访、走访与评估", "八、告警及处置情况", "九、电子定位与活动轨迹")  # fmt: skip
    assert [text.count(h) for h in headings] == [1] * len(headings)
    assert [text.index(h) for h in headings] == sorted(text.index(h) for h in headings)
    # The names of the users met in earlier sections are still printed in later ones (the alert's handler).
    assert "测试owner" in text.split("八、告警及处置情况")[1]
