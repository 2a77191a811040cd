"""Every edge of the three status machines, allowed and refused, plus the rules beyond the table."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.models import AuditEvent
from backend.people.actions.transitions import transition_case
from backend.people.models import Case, CaseKind, CaseStatus, CaseTransition, Category, SubStatus
from backend.people.transitions import REASON_LABELS, TRANSITIONS
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db

STATUSES = {
    CaseKind.CORRECTION: [
        CaseStatus.PENDING_REPORT,
        CaseStatus.ACTIVE,
        CaseStatus.TERM_ENDED,
        CaseStatus.RELEASED,
        CaseStatus.TERMINATED,
    ],
    CaseKind.AFTERCARE: [CaseStatus.NOTIFIED, CaseStatus.ACTIVE, CaseStatus.ENDED, CaseStatus.TERMINATED],
    CaseKind.MENTAL_HEALTH: [CaseStatus.ACTIVE, CaseStatus.CLOSED],
}
SUBS = {
    CaseKind.CORRECTION: ["", SubStatus.ON_LEAVE, SubStatus.LOST_CONTACT, SubStatus.DETAINED],
    CaseKind.AFTERCARE: [""],
    CaseKind.MENTAL_HEALTH: ["", SubStatus.HOSPITALIZED],
}
OPENERS = {
    CaseKind.CORRECTION: factories.correction,
    CaseKind.AFTERCARE: factories.aftercare,
    CaseKind.MENTAL_HEALTH: factories.mental_health,
}


def edges():
    for (kind, action), t in sorted(TRANSITIONS.items()):
        for status in STATUSES[kind]:
            subs = SUBS[kind] if status == CaseStatus.ACTIVE else [""]
            for sub in subs:
                allowed = status in t.sources and (t.sub_sources is None or sub in t.sub_sources)
                yield pytest.param(
                    kind,
                    action,
                    status,
                    sub,
                    allowed,
                    id=f"{kind}-{action}-from-{status}{'/' + sub if sub else ''}",
                )


def case_in(officer, kind, status, sub, **opener_kwargs) -> Case:
    person = factories.person(officer, officer.jurisdiction)
    case = OPENERS[kind](officer, person, **opener_kwargs)
    Case.objects.filter(pk=case.pk).update(status=status, sub_status=sub)
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(("kind", "action", "status", "sub", "allowed"), list(edges()))
def test_each_transition_is_allowed_only_from_its_source_states(officer, kind, action, status, sub, allowed):
    t = TRANSITIONS[(kind, action)]
    # Dates that satisfy the rules beyond the table, so only the state decides.
    kwargs = {}
    if kind == CaseKind.CORRECTION:
        kwargs = {"term_end": dt.date.today()}
    if kind == CaseKind.AFTERCARE:
        kwargs = {"release_on": dt.date.today().replace(year=dt.date.today().year - 6)}
    case = case_in(officer, kind, status, sub, **kwargs)
    if action == "reject_revocation":
        Case.objects.filter(pk=case.pk).update(revocation_pending=True)
        case.refresh_from_db()
    reason = t.reasons[0] if t.reasons else ""
    before = CaseTransition.objects.count()
    if allowed:
        moved = transition_case(by=officer, case=case, action=action, reason=reason)
        assert moved.status == (t.target or status)
        assert moved.sub_status == (sub if t.sub_target is None else t.sub_target)
        assert CaseTransition.objects.count() == before + 1
        assert AuditEvent.objects.filter(action=f"case.{action}", target_id=str(case.pk)).exists()
    else:
        with pytest.raises(Conflict) as refused:
            transition_case(by=officer, case=case, action=action, reason=reason)
        assert "不能执行" in refused.value.message and t.label in refused.value.message
        case.refresh_from_db()
        assert (case.status, case.sub_status) == (status, sub)
        assert CaseTransition.objects.count() == before


def test_reporting_starts_the_strict_category_and_records_the_date(officer):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.PENDING_REPORT, "")
    case = transition_case(by=officer, case=case, action="report")
    assert case.category == Category.STRICT
    assert case.correction.reported_on == dt.date.today()
    assert list(case.marks.values_list("kind", "value")) == [("category", "strict")]


def test_the_report_deadline_is_ten_days_after_the_judgment_takes_effect(officer):
    person = factories.person(officer, officer.jurisdiction)
    effective = dt.date.today() - dt.timedelta(days=2)
    case = factories.correction(officer, person, judgment_effective_on=effective)
    assert case.correction.report_deadline == effective + dt.timedelta(days=10)


def test_release_is_refused_while_a_revocation_is_pending(officer):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.ACTIVE, "", term_end=dt.date.today())
    transition_case(by=officer, case=case, action="request_revocation")
    transition_case(by=officer, case=case, action="end_term")
    with pytest.raises(Conflict, match="撤销缓刑/假释或收监执行正在审批"):
        transition_case(by=officer, case=case, action="release")
    transition_case(by=officer, case=case, action="reject_revocation")
    assert transition_case(by=officer, case=case, action="release").status == CaseStatus.RELEASED


def test_releasing_a_correction_case_opens_an_aftercare_case(officer):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.TERM_ENDED, "")
    transition_case(by=officer, case=case, action="release")
    aftercare = Case.objects.get(person=case.person, kind=CaseKind.AFTERCARE)
    assert aftercare.status == CaseStatus.ACTIVE
    assert aftercare.aftercare.origin == "correction_end" and aftercare.aftercare.source_case_id == case.pk
    assert aftercare.aftercare.period_end == dt.date.today().replace(year=dt.date.today().year + 5)


def test_the_term_cannot_end_before_its_end_date(officer):
    case = case_in(
        officer, CaseKind.CORRECTION, CaseStatus.ACTIVE, "", term_end=dt.date.today() + dt.timedelta(days=1)
    )
    with pytest.raises(Conflict, match="尚未期满"):
        transition_case(by=officer, case=case, action="end_term")


def test_termination_needs_one_of_its_legal_reasons(officer):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.ACTIVE, "")
    with pytest.raises(Invalid, match=REASON_LABELS["revoked"]):
        transition_case(by=officer, case=case, action="terminate", reason="bored")
    case = transition_case(by=officer, case=case, action="terminate", reason="death")
    assert (case.status, case.close_reason, case.closed_on) == (
        CaseStatus.TERMINATED,
        "death",
        dt.date.today(),
    )


def test_a_key_releasee_needs_a_hand_over_record(officer):
    case = case_in(officer, CaseKind.AFTERCARE, CaseStatus.NOTIFIED, "", key_person=True)
    with pytest.raises(Conflict, match="必接必送"):
        transition_case(by=officer, case=case, action="hand_over")
    handover = {"received_by": "测试接收人", "place": "演示监狱门口", "police_registered": True}
    case = transition_case(by=officer, case=case, action="hand_over", handover=handover)
    assert case.status == CaseStatus.ACTIVE and case.aftercare.handover == handover


def test_an_aftercare_period_cannot_end_early(officer):
    case = case_in(officer, CaseKind.AFTERCARE, CaseStatus.ACTIVE, "")
    with pytest.raises(Conflict, match="帮教期至"):
        transition_case(by=officer, case=case, action="end_period")


def test_an_unknown_action_is_a_conflict_naming_it(officer):
    case = case_in(officer, CaseKind.MENTAL_HEALTH, CaseStatus.ACTIVE, "")
    with pytest.raises(Conflict, match="没有「release」操作"):
        transition_case(by=officer, case=case, action="release")


def test_a_stale_copy_cannot_overwrite_a_newer_state(officer):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.ACTIVE, "")
    stale = Case.objects.get(pk=case.pk)
    transition_case(by=officer, case=case, action="start_leave")
    with pytest.raises(Conflict, match="已被他人修改"):
        transition_case(by=officer, case=stale, action="report_lost_contact")
    assert Case.objects.get(pk=case.pk).sub_status == SubStatus.ON_LEAVE


def test_a_future_effective_date_is_refused(officer):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.PENDING_REPORT, "")
    with pytest.raises(Invalid, match="不能晚于今天"):
        transition_case(
            by=officer, case=case, action="report", effective_on=dt.date.today() + dt.timedelta(days=1)
        )


def test_a_health_worker_may_manage_mental_health_cases_only(officer, health_worker):
    mh = case_in(officer, CaseKind.MENTAL_HEALTH, CaseStatus.ACTIVE, "")
    assert (
        transition_case(by=health_worker, case=mh, action="hospitalize").sub_status == SubStatus.HOSPITALIZED
    )
    correction = case_in(officer, CaseKind.CORRECTION, CaseStatus.PENDING_REPORT, "")
    with pytest.raises(Forbidden):
        transition_case(by=health_worker, case=correction, action="report")


def test_a_team_member_cannot_change_a_case(tree, officer):
    member = make_user("volunteer", tree.grid_a1, "team_member")
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.PENDING_REPORT, "")
    with pytest.raises(Forbidden):
        transition_case(by=member, case=case, action="report")


def test_a_person_cannot_hold_two_open_cases_of_one_kind(officer):
    case = case_in(officer, CaseKind.MENTAL_HEALTH, CaseStatus.ACTIVE, "")
    with pytest.raises(Conflict, match="已有进行中"):
        factories.mental_health(officer, case.person)


def test_a_sentence_reduction_moves_the_term_end_and_is_audited(officer, api):
    case = case_in(officer, CaseKind.CORRECTION, CaseStatus.ACTIVE, "")
    new_end = (case.correction.term_end - dt.timedelta(days=30)).isoformat()
    response = api(officer).patch(
        f"/api/v1/cases/{case.pk}", {"details": {"term_end": new_end, "court": "演示中级人民法院"}}
    )
    assert response.status_code == 200 and response.json()["correction"]["term_end"] == new_end
    assert AuditEvent.objects.filter(action="case.update", target_id=str(case.pk)).get().details == {
        "fields": ["term_end", "court"]
    }
    backwards = api(officer).patch(f"/api/v1/cases/{case.pk}", {"details": {"term_end": "1999-01-01"}})
    assert backwards.status_code == 422
    assert (
        api(officer).patch(f"/api/v1/cases/{case.pk}", {"details": {"status": "released"}}).status_code == 422
    )


def test_only_health_staff_may_change_a_diagnosis(officer, health_worker, api):
    case = case_in(officer, CaseKind.MENTAL_HEALTH, CaseStatus.ACTIVE, "")
    assert (
        api(officer).patch(f"/api/v1/cases/{case.pk}", {"details": {"diagnosis": "bipolar"}}).status_code
        == 403
    )
    done = api(health_worker).patch(f"/api/v1/cases/{case.pk}", {"details": {"diagnosis": "bipolar"}})
    assert done.status_code == 200 and done.json()["mental_health"]["diagnosis"] == "bipolar"
