"""Mental-health follow-ups (严重精神障碍管理治疗工作规范 2018): graded by risk, risk rising to ≥ 3 told to
the police liaison and the care team, a yearly health check, the 24-hour emergency record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.errors import Forbidden
from backend.core.models import Role
from backend.people.actions.teams import add_member
from backend.people.models import CaseMark
from backend.supervision.actions.followups import record_followup
from backend.supervision.due import HANDLERS
from backend.supervision.handlers.calendar import plan_mental_health_calendar
from backend.supervision.models import DueKind, FollowUp, FollowUpKind
from backend.supervision.sweep import claim, sweep
from notifications.models import Delivery
from tests.conftest import make_user
from tests.people import factories
from tests.supervision.calendar_helpers import MINUTE, followup_alerts, inbox, items, local, only

pytestmark = pytest.mark.django_db
K = FollowUpKind


@pytest.fixture
def doctor(tree):
    return make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)


@pytest.fixture
def patient(tree, doctor):
    person = factories.person(doctor, tree.township_a1)
    return factories.mental_health(doctor, person, risk_level=0, opened_on=dt.date(2026, 1, 10))


def follow_up(doctor, case, at, risk_level, **extra):
    return record_followup(by=doctor, case=case, kind=K.MH_FOLLOWUP, at=at, risk_level=risk_level,
                           findings={"服药": "规律"}, **extra)  # fmt: skip


def test_a_stable_patient_is_due_ninety_days_after_the_last_assessment_and_one_alert_marks_the_miss(patient):
    plan_mental_health_calendar(local(2026, 4, 1))
    item = only(DueKind.MH_FOLLOWUP, case=patient)
    assert (item.subject, item.due_at) == (f"mh:{patient.pk}:2026-04-10", local(2026, 4, 11))
    sweep(local(2026, 4, 11) - MINUTE)
    assert followup_alerts() == []
    sweep(local(2026, 4, 11))
    plan_mental_health_calendar(local(2026, 4, 11, 1))
    sweep(local(2026, 4, 11, 1))
    [alert] = followup_alerts(case=patient)
    assert (alert.severity, alert.subject) == ("medium", f"mh:{patient.pk}:2026-04-10")


def test_a_follow_up_at_risk_two_brings_the_next_one_forward_to_two_weeks(patient, doctor):
    plan_mental_health_calendar(local(2026, 3, 10))
    follow_up(doctor, patient, local(2026, 3, 1, 10), 2)
    new, old = items(DueKind.MH_FOLLOWUP, case=patient)  # by due time
    assert (old.subject, old.state) == (f"mh:{patient.pk}:2026-04-10", "cancelled")
    assert (new.subject, new.state, new.due_at) == (
        f"mh:{patient.pk}:2026-03-15",
        "pending",
        local(2026, 3, 16),
    )
    patient.refresh_from_db()
    assert patient.risk_level == 2
    assert CaseMark.objects.filter(case=patient, kind="risk_level").count() == 2  # opening + this change
    sweep(local(2026, 3, 16))
    [alert] = followup_alerts(case=patient)
    assert alert.subject == f"mh:{patient.pk}:2026-03-15"


def test_a_follow_up_held_in_time_settles_its_deadline(patient, doctor):
    follow_up(doctor, patient, local(2026, 3, 1, 10), 0)
    assert only(DueKind.MH_FOLLOWUP, case=patient).subject == f"mh:{patient.pk}:2026-05-30"
    follow_up(doctor, patient, local(2026, 5, 29, 10), 0)
    sweep(local(2026, 5, 31))
    assert followup_alerts() == []
    assert only(DueKind.MH_FOLLOWUP, case=patient, state="pending").subject == f"mh:{patient.pk}:2026-08-27"


def test_risk_rising_to_three_notifies_the_police_liaison_and_the_care_team_once(tree, patient, doctor):
    police = make_user("police_a1", tree.township_a1, Role.POLICE_LIAISON)
    make_user("police_county_a", tree.county_a, Role.POLICE_LIAISON)  # the nearest level is told, not both
    make_user("police_b1", tree.township_b1, Role.POLICE_LIAISON)
    grid = make_user("grid_a1", tree.grid_a1, Role.TEAM_MEMBER)
    add_member(by=doctor, team=patient.team, role="grid_worker", gender="male", user=grid)
    add_member(by=doctor, team=patient.team, role="guardian", gender="female", name="测试监护人")
    follow_up(doctor, patient, local(2026, 3, 1, 10), 1)
    assert items(DueKind.MH_RISK_RAISED) == []
    follow_up(doctor, patient, local(2026, 3, 5, 10), 3)
    follow_up(doctor, patient, local(2026, 3, 8, 10), 4)  # already unstable: nobody told again
    sweep(timezone.now())
    item = only(DueKind.MH_RISK_RAISED, case=patient)
    assert (item.outcome, inbox(item)) == ("reminded", sorted([police.pk, grid.pk]))
    text = Delivery.objects.filter(due_item=item).first().details["text"]
    assert "由 1 级升至 3 级" in text and patient.number in text
    patient.refresh_from_db()
    assert patient.risk_level == 4
    assert list(CaseMark.objects.filter(case=patient, kind="risk_level").values_list("value", flat=True)) == [
        "0", "1", "3", "4"
    ]  # fmt: skip


def test_an_officer_outside_health_cannot_record_a_mental_health_follow_up(patient, officers):
    with pytest.raises(Forbidden, match="仅卫生人员"):
        record_followup(
            by=officers.owner, case=patient, kind=K.MH_FOLLOWUP, at=local(2026, 3, 1), risk_level=0
        )
    with pytest.raises(Forbidden):
        record_followup(by=officers.owner, case=patient, kind=K.INCIDENT, at=local(2026, 3, 1))
    assert not FollowUp.objects.exists()


def test_the_health_check_reminder_comes_on_1_december_shanghai_which_is_30_november_in_utc(patient, doctor):
    follow_up(doctor, patient, local(2026, 3, 1, 10), 0)
    plan_mental_health_calendar(local(2026, 11, 20))
    item = only(DueKind.MH_HEALTH_CHECK, case=patient)
    assert (item.subject, item.due_at) == (
        f"check:{patient.pk}:2026",
        dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC),
    )
    sweep(dt.datetime(2026, 11, 30, 15, 59, tzinfo=dt.UTC))
    assert inbox(item) == []
    sweep(dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC))
    assert inbox(item) == [doctor.pk]
    assert "已随访 1 次" in Delivery.objects.get(due_item=item).details["text"]


def test_a_health_check_done_this_year_needs_no_reminder(patient, doctor):
    record_followup(by=doctor, case=patient, kind=K.MH_HEALTH_CHECK, at=local(2026, 6, 1, 10))
    plan_mental_health_calendar(local(2026, 11, 20))
    assert items(DueKind.MH_HEALTH_CHECK) == []


def test_a_health_check_recorded_after_planning_cancels_the_reminder(patient, doctor):
    plan_mental_health_calendar(local(2026, 11, 20))
    record_followup(by=doctor, case=patient, kind=K.MH_HEALTH_CHECK, at=local(2026, 11, 25, 10))
    sweep(local(2026, 12, 1))
    item = only(DueKind.MH_HEALTH_CHECK, case=patient)
    assert (item.state, item.outcome, inbox(item)) == ("cancelled", "done", [])


def test_an_incident_without_an_emergency_record_within_24_hours_raises_one_high_alert(patient, doctor):
    incident = record_followup(by=doctor, case=patient, kind=K.INCIDENT, at=local(2026, 5, 1, 10))
    item = only(DueKind.MH_EMERGENCY_RECORD, case=patient)
    assert (item.subject, item.due_at) == (f"emergency:{incident.pk}", local(2026, 5, 2, 10))
    sweep(local(2026, 5, 2, 10) - MINUTE)
    assert followup_alerts(subject__startswith="emergency") == []
    sweep(local(2026, 5, 2, 10))
    plan_mental_health_calendar(local(2026, 5, 2, 11))
    sweep(local(2026, 5, 2, 11))
    [alert] = followup_alerts(subject__startswith="emergency")
    assert (alert.severity, alert.subject, alert.details["incident"]) == (
        "high",
        f"emergency:{incident.pk}",
        incident.pk,
    )


def test_an_emergency_record_after_the_incident_settles_it(patient, doctor):
    record_followup(by=doctor, case=patient, kind=K.INCIDENT, at=local(2026, 5, 1, 10))
    record_followup(by=doctor, case=patient, kind=K.EMERGENCY_RECORD, at=local(2026, 5, 1, 20),
                    findings={"处置": "送医"})  # fmt: skip
    sweep(local(2026, 5, 2, 10))
    assert only(DueKind.MH_EMERGENCY_RECORD, case=patient).outcome == "done"
    assert followup_alerts(subject__startswith="emergency") == []


def test_a_follow_up_recorded_while_its_deadline_is_being_handled_counts_as_done(patient, doctor):
    plan_mental_health_calendar(local(2026, 4, 1))
    [item] = claim(100, local(2026, 4, 11))
    follow_up(doctor, patient, local(2026, 4, 10, 22), 0)
    HANDLERS[DueKind.MH_FOLLOWUP]([item], local(2026, 4, 11))
    item.refresh_from_db()
    assert (item.state, item.outcome, followup_alerts()) == ("done", "done", [])


def test_a_health_check_recorded_while_its_reminder_is_being_handled_needs_no_reminder(patient, doctor):
    plan_mental_health_calendar(local(2026, 11, 20))
    batch = [i for i in claim(100, local(2026, 12, 1)) if i.kind == DueKind.MH_HEALTH_CHECK]
    record_followup(by=doctor, case=patient, kind=K.MH_HEALTH_CHECK, at=local(2026, 11, 30, 10))
    HANDLERS[DueKind.MH_HEALTH_CHECK](batch, local(2026, 12, 1))
    [item] = batch
    item.refresh_from_db()
    assert (item.outcome, inbox(item)) == ("done", [])
