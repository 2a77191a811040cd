"""/api/v1/followups for mental-health kinds: health staff only record them, findings are shown to health
staff only, and the yearly 规范管理 count (≥ 4 follow-ups and ≥ 1 health check a Shanghai calendar year)."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import Role
from backend.people.actions.teams import add_member
from backend.supervision.actions.followups import record_followup
from backend.supervision.models import FollowUp, FollowUpKind
from tests.conftest import make_user
from tests.core.test_scoping import Case, run_trio
from tests.people import factories
from tests.supervision.calendar_helpers import local

pytestmark = pytest.mark.django_db
K = FollowUpKind
UTC = dt.UTC


@pytest.fixture
def doctor(tree):
    return make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)


@pytest.fixture
def patient(tree, doctor):
    person = factories.person(doctor, tree.township_a1)
    return factories.mental_health(doctor, person, risk_level=0, opened_on=dt.date(2025, 12, 1))


def mh(doctor, case, at, kind=K.MH_FOLLOWUP):
    return record_followup(
        by=doctor, case=case, kind=kind, at=at, risk_level=0 if kind == K.MH_FOLLOWUP else None
    )


def compliance(api, user, case, year):
    return api(user).get(f"/api/v1/followups/compliance?case_id={case.pk}&year={year}")


def test_compliance_counts_by_the_shanghai_calendar_year(api, doctor, patient):
    mh(doctor, patient, dt.datetime(2025, 12, 31, 15, 30, tzinfo=UTC))  # 23:30 on 31 Dec in Shanghai: 2025
    mh(doctor, patient, dt.datetime(2025, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 Jan in Shanghai: 2026
    mh(doctor, patient, local(2026, 4, 1, 10))
    mh(doctor, patient, local(2026, 7, 1, 10))
    mh(doctor, patient, local(2026, 6, 1, 10), kind=K.MH_HEALTH_CHECK)
    body = compliance(api, doctor, patient, 2026).json()
    assert body == {"case_id": patient.pk, "year": 2026, "followups": 3, "required_followups": 4,
                    "health_checks": 1, "required_health_checks": 1, "compliant": False}  # fmt: skip
    mh(doctor, patient, local(2026, 10, 1, 10))
    assert compliance(api, doctor, patient, 2026).json()["compliant"] is True
    assert compliance(api, doctor, patient, 2025).json() == {
        "case_id": patient.pk, "year": 2025, "followups": 1, "required_followups": 4,
        "health_checks": 0, "required_health_checks": 1, "compliant": False,
    }  # fmt: skip


def test_four_follow_ups_without_a_health_check_are_not_compliant(api, doctor, patient):
    for month in (2, 4, 6, 8):
        mh(doctor, patient, local(2026, month, 1, 10))
    body = compliance(api, doctor, patient, 2026).json()
    assert (body["followups"], body["health_checks"], body["compliant"]) == (4, 0, False)


def test_compliance_is_for_health_and_office_roles_only(api, tree, doctor, patient, officers):
    police = make_user("police_a1", tree.township_a1, Role.POLICE_LIAISON)
    add_member(by=doctor, team=patient.team, role="police", gender="male", user=police)
    assert compliance(api, officers.owner, patient, 2026).status_code == 200
    response = compliance(api, police, patient, 2026)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_compliance_is_scoped_to_the_officers_office(officers, patient, api):
    case = Case("GET", lambda o: f"/api/v1/followups/compliance?case_id={o['case'].pk}&year=2026")
    assert run_trio(officers, case, {"case": patient}, api) == [200, 404, 404]


def test_an_officer_outside_health_cannot_record_a_mental_health_follow_up(api, officers, patient):
    response = api(officers.owner).post("/api/v1/followups", {
        "case_id": patient.pk, "kind": "mh_followup", "at": "2026-03-01T10:00:00+08:00", "risk_level": 1,
        "findings": {"情况": "测试"},
    })  # fmt: skip
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not FollowUp.objects.exists()


def test_findings_and_notes_of_mental_health_kinds_are_for_health_staff_only(api, doctor, patient, officers):
    created = api(doctor).post("/api/v1/followups", {
        "case_id": patient.pk, "kind": "mh_followup", "at": "2026-03-01T10:00:00+08:00", "risk_level": 1,
        "findings": {"服药": "不规律"}, "note": "家属反映夜间吵闹",
    })  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["findings"] == {"服药": "不规律"}
    [seen_by_officer] = api(officers.owner).get(f"/api/v1/followups?case_id={patient.pk}").json()["items"]
    assert (seen_by_officer["findings"], seen_by_officer["note"], seen_by_officer["risk_level"]) == (
        None,
        None,
        1,
    )
    [seen_by_doctor] = api(doctor).get(f"/api/v1/followups?case_id={patient.pk}").json()["items"]
    assert (seen_by_doctor["findings"], seen_by_doctor["note"]) == ({"服药": "不规律"}, "家属反映夜间吵闹")


def test_a_follow_up_needs_a_risk_level_from_0_to_5(api, doctor, patient):
    body = {"case_id": patient.pk, "kind": "mh_followup", "at": "2026-03-01T10:00:00+08:00"}
    assert api(doctor).post("/api/v1/followups", body).status_code == 422
    assert api(doctor).post("/api/v1/followups", {**body, "risk_level": 6}).status_code == 422
    assert api(doctor).post("/api/v1/followups", {**body, "risk_level": 5}).status_code == 201
