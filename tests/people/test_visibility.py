"""Who sees what: health fields, criminal details, team members' need-to-know view, restricted files."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import Role
from backend.people.actions.teams import add_member
from backend.people.models import AccessGrant
from backend.people.queries import person_in_reach
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db


def test_diagnosis_and_medication_are_shown_to_health_workers_only(tree, officer, health_worker, api):
    patient = factories.person(officer, tree.township_a1)
    case = factories.mental_health(officer, patient, risk_level=2, medication={"药物": "测试药甲"})
    as_doctor = api(health_worker).get(f"/api/v1/cases/{case.pk}").json()["mental_health"]
    assert as_doctor["diagnosis"] == "schizophrenia" and as_doctor["medication"] == {"药物": "测试药甲"}
    as_officer = api(officer).get(f"/api/v1/cases/{case.pk}").json()["mental_health"]
    assert as_officer["diagnosis"] is None and as_officer["medication"] is None
    assert as_officer["stability"] == "basically_stable"
    assert api(officer).get(f"/api/v1/cases/{case.pk}/emergencies").status_code == 403


def test_criminal_details_are_shown_to_the_correction_office_only(tree, officer, health_worker, api):
    subject = factories.person(officer, tree.township_a1)
    case = factories.correction(officer, subject)
    factories.mental_health(officer, subject)  # so the health worker can see the person at all
    assert api(officer).get(f"/api/v1/cases/{case.pk}").json()["correction"]["crime"] == "测试罪名"
    as_doctor = api(health_worker).get(f"/api/v1/cases/{case.pk}").json()["correction"]
    assert as_doctor["crime"] is None and as_doctor["prohibition_orders"] is None


def test_a_health_worker_sees_mental_health_patients_but_not_other_subjects(
    tree, officer, health_worker, api
):
    patient = factories.person(officer, tree.township_a1)
    factories.mental_health(officer, patient)
    subject = factories.person(officer, tree.township_a1)
    factories.correction(officer, subject)
    assert api(health_worker).get(f"/api/v1/persons/{patient.pk}").status_code == 200
    assert api(health_worker).get(f"/api/v1/persons/{subject.pk}").status_code == 404


def test_a_team_member_sees_only_their_own_people_with_need_to_know_fields(tree, officer, api):
    volunteer = make_user("volunteer_a1", tree.grid_a1, Role.TEAM_MEMBER)
    mine = factories.person(officer, tree.township_a1, household_address="户籍地址（测试）")
    case = factories.correction(officer, mine)
    add_member(by=officer, team=case.team, role="volunteer", gender="male", user=volunteer)
    other = factories.person(officer, tree.township_a1)
    client = api(volunteer)
    view = client.get(f"/api/v1/persons/{mine.pk}").json()
    assert view["access"] == "limited"
    assert view["id_number"] is None and view["id_number_masked"].startswith("990101")
    assert view["household_address"] is None and view["contacts"] is None and view["birth_date"] is None
    assert client.get(f"/api/v1/persons/{other.pk}").status_code == 404
    assert [p["id"] for p in client.get("/api/v1/persons").json()["items"]] == [mine.pk]
    assert client.get(f"/api/v1/cases/{case.pk}").json()["correction"]["crime"] is None


def test_a_member_who_left_the_team_loses_access(tree, officer, api):
    from backend.people.actions.teams import remove_member

    volunteer = make_user("volunteer_a1", tree.grid_a1, Role.TEAM_MEMBER)
    person = factories.person(officer, tree.township_a1)
    case = factories.correction(officer, person)
    member = add_member(by=officer, team=case.team, role="volunteer", gender="male", user=volunteer)
    assert api(volunteer).get(f"/api/v1/persons/{person.pk}").status_code == 200
    remove_member(by=officer, member=member)
    assert api(volunteer).get(f"/api/v1/persons/{person.pk}").status_code == 404


def test_a_minors_file_needs_an_explicit_grant_even_for_the_office(tree, officer, county_head, api):
    registrar = officer
    minor = factories.person(
        registrar, tree.township_a1, birth=dt.date.today().replace(year=dt.date.today().year - 15)
    )
    assert minor.is_minor
    colleague = make_user("officer_a1_b", tree.township_a1, Role.TOWNSHIP_OFFICER)
    assert api(registrar).get(f"/api/v1/persons/{minor.pk}").status_code == 200  # the registering officer
    assert api(colleague).get(f"/api/v1/persons/{minor.pk}").status_code == 404
    assert minor.pk not in [p["id"] for p in api(colleague).get("/api/v1/persons").json()["items"]]
    search = api(colleague).post("/api/v1/persons/search", {"id_number": minor.id_number}).json()["items"]
    assert search == []

    granted = api(county_head).post(
        f"/api/v1/persons/{minor.pk}/grants",
        {"user_id": colleague.pk, "reason": "办理社区矫正（测试）", "days": 7},
    )
    assert granted.status_code == 201
    assert api(colleague).get(f"/api/v1/persons/{minor.pk}").status_code == 200
    AccessGrant.objects.filter(pk=granted.json()["id"]).update(expires_at=timezone.now())
    assert api(colleague).get(f"/api/v1/persons/{minor.pk}").status_code == 404


def test_a_sealed_record_is_closed_like_a_minors(tree, officer, api):
    sealed = factories.person(officer, tree.township_a1, is_sealed=True)
    colleague = make_user("officer_a1_b", tree.township_a1, Role.TOWNSHIP_OFFICER)
    assert api(colleague).get(f"/api/v1/persons/{sealed.pk}").status_code == 404


def test_only_the_county_head_or_an_admin_may_grant_and_others_learn_nothing(tree, officer, api):
    minor = factories.person(
        officer, tree.township_a1, birth=dt.date.today().replace(year=dt.date.today().year - 15)
    )
    response = api(officer).post(
        f"/api/v1/persons/{minor.pk}/grants", {"user_id": officer.pk, "reason": "测试"}
    )
    assert response.status_code == 403
    missing = api(officer).post("/api/v1/persons/999999/grants", {"user_id": officer.pk, "reason": "测试"})
    assert missing.status_code == 403  # the same answer whether or not the file exists


def test_an_unrestricted_file_needs_no_grant(tree, officer, county_head, api):
    adult = factories.person(officer, tree.township_a1)
    response = api(county_head).post(
        f"/api/v1/persons/{adult.pk}/grants", {"user_id": officer.pk, "reason": "测试"}
    )
    assert response.status_code == 409


def test_a_health_worker_registers_a_patient_and_opens_the_case(tree, health_worker, api):
    client = api(health_worker)
    person = client.post(
        "/api/v1/persons",
        {"jurisdiction_id": tree.township_a1.pk, "name": "测试患者", "id_number": factories.make_id()},
    )
    assert person.status_code == 201
    case = client.post(
        "/api/v1/cases",
        {
            "person_id": person.json()["id"],
            "kind": "mental_health",
            "mental_health": {"diagnosis": "epilepsy", "risk_level": 0, "opened_on": str(dt.date.today())},
        },
    )
    assert case.status_code == 201 and case.json()["mental_health"]["diagnosis"] == "epilepsy"
    refused = client.post(
        "/api/v1/cases",
        {
            "person_id": person.json()["id"],
            "kind": "aftercare",
            "aftercare": {"release_on": str(dt.date.today())},
        },
    )
    assert refused.status_code == 403


def test_the_same_user_object_sees_a_role_change_and_a_new_team_at_once(tree, officer):
    """Scopes are reused by one user object for a moment (core.scoping); that must not hide a change."""
    from backend.people.models import Case, Person

    registrar = make_user("scope_registrar", tree.township_a1, Role.TOWNSHIP_OFFICER)
    subject = factories.person(registrar, tree.township_a1)
    case = factories.correction(registrar, subject)
    colleague = make_user("scope_colleague", tree.township_a2, Role.TOWNSHIP_OFFICER)
    assert not Person.objects.visible_to(colleague).filter(pk=subject.pk).exists()
    add_member(by=registrar, team=case.team, role="volunteer", gender="male", user=colleague)
    assert Person.objects.visible_to(colleague).filter(pk=subject.pk).exists()  # same object, new team
    assert Person.objects.visible_to(officer).filter(pk=subject.pk).exists()
    officer.set_roles([Role.HEALTH_WORKER])
    assert not Person.objects.visible_to(officer).filter(pk=subject.pk).exists()
    assert not Case.objects.visible_to(officer).filter(person=subject).exists()


def test_the_same_user_object_loses_a_left_team_and_a_revoked_grant_at_once(tree, officer, county_head):
    from backend.people.actions.persons import grant_access, revoke_grant
    from backend.people.actions.teams import remove_member
    from backend.people.models import Case, Person

    colleague = make_user("scope_colleague", tree.township_a2, Role.TOWNSHIP_OFFICER)
    subject = factories.person(officer, tree.township_a1)
    case = factories.correction(officer, subject)
    member = add_member(by=officer, team=case.team, role="volunteer", gender="male", user=colleague)
    assert Case.objects.visible_to(colleague).filter(pk=case.pk).exists()
    member.user = colleague  # the action is handed the very object that is asking
    remove_member(by=officer, member=member)
    assert not Case.objects.visible_to(colleague).filter(pk=case.pk).exists()

    minor = factories.person(
        officer, tree.township_a1, birth=dt.date.today().replace(year=dt.date.today().year - 15)
    )
    neighbour = make_user("officer_a1_b", tree.township_a1, Role.TOWNSHIP_OFFICER)
    assert not Person.objects.visible_to(neighbour).filter(pk=minor.pk).exists()
    grant = grant_access(by=county_head, person=minor, user=neighbour, reason="测试", days=7)
    assert Person.objects.visible_to(neighbour).filter(pk=minor.pk).exists()
    grant.user = neighbour
    revoke_grant(by=county_head, grant=grant)
    assert not Person.objects.visible_to(neighbour).filter(pk=minor.pk).exists()


def test_people_reached_through_more_teams_and_grants_than_are_listed_inline_are_all_seen(
    tree, officer, county_head, monkeypatch
):
    """Past ``INLINE_IDS_MAX`` the teams and grants are matched by a subquery; the answer is the same."""
    from backend.monitoring.models import Alert
    from backend.people import reach as reach_module
    from backend.people.actions.persons import grant_access
    from backend.people.models import Case, Person

    monkeypatch.setattr(reach_module, "INLINE_IDS_MAX", 1)
    liaison = make_user("scope_liaison", tree.township_a2, Role.POLICE_LIAISON)
    on_team = []
    for _ in range(3):
        subject = factories.person(officer, tree.township_a1)
        add_member(by=officer, team=factories.correction(officer, subject).team, role="volunteer",
                   gender="male", user=liaison)  # fmt: skip
        on_team.append(subject.pk)
    factories.correction(officer, factories.person(officer, tree.township_a1))  # not on that team
    minors = []
    for _ in range(2):
        minor = factories.person(officer, tree.township_a1, birth=dt.date.today().replace(year=2015))
        add_member(by=officer, team=factories.correction(officer, minor).team, role="volunteer",
                   gender="male", user=liaison)  # fmt: skip
        minors.append(minor.pk)
    assert sorted(Person.objects.visible_to(liaison).values_list("pk", flat=True)) == on_team
    for pk in minors:
        grant_access(by=county_head, person=Person.objects.get(pk=pk), user=liaison, reason="测试", days=7)
    seen = sorted(Person.objects.visible_to(liaison).values_list("pk", flat=True))
    assert seen == sorted(on_team + minors)
    assert sorted(Case.objects.visible_to(liaison).values_list("person_id", flat=True)) == seen
    assert not Alert.objects.visible_to(liaison).exists()


def test_the_rows_of_a_person_just_found_in_reach_are_read_without_the_person_rule(tree, officer):
    """``visible_to(user, of=person)`` after ``person_in_reach``: that person's rows, and no one else's."""
    from backend.monitoring.models import Zone
    from backend.people.models import Case

    subject, other = factories.person(officer, tree.township_a1), factories.person(officer, tree.township_a1)
    case = factories.correction(officer, subject)
    factories.correction(officer, other)
    person_in_reach(officer, subject.pk)
    rows = Case.objects.visible_to(officer, of=subject)
    assert list(rows) == [case]
    assert '"people_person"' not in str(rows.query)  # the rule was not compiled in again
    own = Zone.objects.create(name="居住地（测试）", kind="inclusion", jurisdiction=tree.township_a1,
                              person=subject, geometry={"type": "circle", "lat": 30.1, "lon": 120.1, "radius_m": 500})  # fmt: skip
    layer = Zone.objects.create(name="学校（测试）", kind="exclusion", jurisdiction=tree.township_a1,
                                geometry={"type": "circle", "lat": 30.2, "lon": 120.2, "radius_m": 200})  # fmt: skip
    Zone.objects.create(name="他人居住地（测试）", kind="inclusion", jurisdiction=tree.township_a1, person=other,
                        geometry={"type": "circle", "lat": 30.3, "lon": 120.3, "radius_m": 500})  # fmt: skip
    assert set(Zone.objects.visible_to(officer, of=subject)) == {own, layer}


def test_a_person_not_found_in_reach_gets_the_whole_rule_and_a_revoked_grant_ends_the_shortcut(
    tree, officer, county_head
):
    from backend.people.actions.persons import grant_access, revoke_grant
    from backend.people.models import Case

    minor = factories.person(officer, tree.township_a1, birth=dt.date.today().replace(year=2015))
    case = factories.correction(officer, minor)
    neighbour = make_user("officer_a1_b", tree.township_a1, Role.TOWNSHIP_OFFICER)
    assert not Case.objects.visible_to(neighbour, of=minor).exists()  # a minor's file without a grant
    grant = grant_access(by=county_head, person=minor, user=neighbour, reason="测试", days=7)
    person_in_reach(neighbour, minor.pk)
    assert list(Case.objects.visible_to(neighbour, of=minor)) == [case]
    grant.user = neighbour
    revoke_grant(by=county_head, grant=grant)
    assert not Case.objects.visible_to(neighbour, of=minor).exists()


def test_the_shortcut_keeps_each_models_own_conditions(tree, officer, health_worker):
    """A health worker reaches a patient, but zones are for the correction office only (Art. 29)."""
    from backend.monitoring.models import Zone

    patient = factories.person(officer, tree.township_a1)
    factories.mental_health(officer, patient)
    Zone.objects.create(name="居住地（测试）", kind="inclusion", jurisdiction=tree.township_a1, person=patient,
                        geometry={"type": "circle", "lat": 30.1, "lon": 120.1, "radius_m": 500})  # fmt: skip
    person_in_reach(health_worker, patient.pk)
    assert not Zone.objects.visible_to(health_worker, of=patient).exists()
    assert Zone.objects.visible_to(officer, of=patient).count() == 1


def test_a_reused_scope_hands_out_independent_queries(tree, officer):
    """``Model.objects.visible_to(user)`` clones one scoped query per user object: narrowing or reading one
    clone changes nothing for the next, and a role change still shows at once."""
    from backend.people.models import Case, Person

    first, second = factories.person(officer, tree.township_a1), factories.person(officer, tree.township_a1)
    factories.correction(officer, first)
    narrowed = Person.objects.visible_to(officer).filter(pk=first.pk)
    assert list(narrowed) == [first]
    assert set(Person.objects.visible_to(officer)) == {first, second}
    assert Person.objects.visible_to(officer) is not Person.objects.visible_to(officer)
    assert Case.objects.visible_to(officer).count() == 1
    officer.set_roles([Role.TEAM_MEMBER])  # on no team: sees no one
    assert not Person.objects.visible_to(officer).exists()


def test_each_persons_related_rows_stay_their_own_through_visible_to(tree, officer):
    """``person.cases`` is one manager class for every person: its scoped query is not reused."""
    first, second = factories.person(officer, tree.township_a1), factories.person(officer, tree.township_a1)
    mine, theirs = factories.correction(officer, first), factories.correction(officer, second)
    assert list(first.cases.visible_to(officer)) == [mine]
    assert list(second.cases.visible_to(officer)) == [theirs]
