from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import Role
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db


def team_of(officer, person):
    return factories.correction(officer, person).team


def add(api, officer, team, **member):
    response = api(officer).post(
        f"/api/v1/teams/{team.pk}/members", {"gender": "male", "role": "volunteer", **member}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_team_without_a_leader_cannot_be_activated(tree, officer, api):
    team = team_of(officer, factories.person(officer, tree.township_a1))
    add(api, officer, team, name="测试志愿者")
    response = api(officer).post(f"/api/v1/teams/{team.pk}/activate")
    assert response.status_code == 409 and response.json()["details"]["rules"] == ["小组须有组长"]
    add(api, officer, team, user_id=officer.pk, role="leader")
    assert api(officer).post(f"/api/v1/teams/{team.pk}/activate").json()["activated_at"] is not None


def test_a_female_subjects_team_needs_a_woman(tree, officer, api):
    team = team_of(officer, factories.person(officer, tree.township_a1, female=True))
    add(api, officer, team, user_id=officer.pk, role="leader")
    response = api(officer).post(f"/api/v1/teams/{team.pk}/activate")
    assert response.json()["details"]["rules"] == ["女性对象的小组须有女性成员"]
    add(api, officer, team, name="测试女社工", gender="female", role="social_worker")
    assert api(officer).post(f"/api/v1/teams/{team.pk}/activate").status_code == 200


def test_a_minors_team_needs_someone_trained_for_minors(tree, officer, api):
    minor = factories.person(
        officer, tree.township_a1, birth=dt.date.today().replace(year=dt.date.today().year - 16)
    )
    team = team_of(officer, minor)
    add(api, officer, team, user_id=officer.pk, role="leader")
    assert api(officer).post(f"/api/v1/teams/{team.pk}/activate").json()["details"]["rules"] == [
        "未成年对象的小组须有熟悉未成年人身心特点的成员"
    ]
    add(api, officer, team, name="测试学校老师", role="school", trained_for_minors=True)
    assert api(officer).post(f"/api/v1/teams/{team.pk}/activate").status_code == 200


def test_removing_the_only_woman_from_an_active_team_is_refused(tree, officer, api):
    team = team_of(officer, factories.person(officer, tree.township_a1, female=True))
    add(api, officer, team, user_id=officer.pk, role="leader")
    woman = add(api, officer, team, name="测试女社工", gender="female", role="social_worker")
    api(officer).post(f"/api/v1/teams/{team.pk}/activate")
    refused = api(officer).delete(f"/api/v1/teams/{team.pk}/members/{woman['id']}")
    assert refused.status_code == 409 and "女性" in refused.json()["message"]
    add(api, officer, team, name="测试女志愿者", gender="female")
    assert api(officer).delete(f"/api/v1/teams/{team.pk}/members/{woman['id']}").json()["left_at"] is not None


def test_a_member_is_either_a_user_or_a_named_outside_contact(tree, officer, api):
    team = team_of(officer, factories.person(officer, tree.township_a1))
    both = api(officer).post(
        f"/api/v1/teams/{team.pk}/members",
        {"gender": "male", "role": "police", "user_id": officer.pk, "name": "x"},
    )
    neither = api(officer).post(f"/api/v1/teams/{team.pk}/members", {"gender": "male", "role": "police"})
    assert both.status_code == neither.status_code == 422


def test_the_team_is_named_after_the_kind_of_case(tree, officer, api):
    person = factories.person(officer, tree.township_a1)
    team = factories.mental_health(officer, person).team
    assert api(officer).get(f"/api/v1/teams/{team.pk}").json()["name"] == "关爱帮扶小组"


def test_a_user_outside_the_jurisdiction_cannot_be_added(tree, officer, api):
    outsider = make_user("outsider_b1", tree.township_b1, Role.POLICE_LIAISON)
    team = team_of(officer, factories.person(officer, tree.township_a1))
    response = api(officer).post(
        f"/api/v1/teams/{team.pk}/members", {"gender": "male", "role": "police", "user_id": outsider.pk}
    )
    assert response.status_code == 404
