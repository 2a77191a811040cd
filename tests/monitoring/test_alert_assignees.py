"""An alert is assigned only to someone who may see it, open its person's file and see location data
(社区矫正法 Art. 29: the correction office's roles): the console's list offers no one else, the API lists the
same people, and the assign action refuses anyone else with a Chinese 422."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.core.models import Role, User
from backend.monitoring.models import Alert
from backend.monitoring.restricted import persons_in_reach
from backend.people.actions.persons import grant_access
from backend.people.actions.teams import add_member
from backend.people.models import Person
from backend.people.models.scope import OFFICE_ROLES
from tests.conftest import make_user
from tests.console import world as w

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, officers):
    world = w.build(tree, officers)
    alert = w.open_alert(world)
    people = {
        "officer": make_user("officer_a1_2", tree.township_a1, Role.TOWNSHIP_OFFICER),
        "supervisor": make_user("supervisor_a1", tree.township_a1, Role.SUPERVISOR),
        "team member": make_user("member_a1", tree.township_a1, Role.TEAM_MEMBER),
        "police": make_user("police_a1", tree.township_a1, Role.POLICE_LIAISON),
        "doctor": make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER),
        "grid officer": make_user("grid_officer", tree.grid_a1, Role.TOWNSHIP_OFFICER),
        "inactive": make_user("gone_a1", tree.township_a1, Role.TOWNSHIP_OFFICER),
    }
    User.objects.filter(pk=people["inactive"].pk).update(is_active=False)
    # On the person's team, so they may open the file — but their roles see no location data.
    for who in ("team member", "police"):
        add_member(by=officers.owner, team=world.case.team, role="volunteer", gender="male", user=people[who])
    return {"world": world, "alert": alert, "people": people, "head": world.head}


def offered(user: User, alert: Alert) -> set[str]:
    client = Client()
    client.force_login(user)
    page = client.get(f"/console/alerts/{alert.pk}/").content.decode()
    form = page[page.index('id="assign-form"') :]
    form = form[: form.index("</form>")]
    return {u.username for u in User.objects.all() if f'<option value="{u.pk}">' in form}


def test_the_assign_list_offers_only_office_roles_who_may_open_the_file(officers, staff, api):
    alert, people = staff["alert"], staff["people"]
    assert offered(officers.owner, alert) == {"owner", "officer_a1_2", "supervisor_a1"}
    listed = api(officers.owner).get(f"/api/v1/alerts/{alert.pk}/assignees").json()
    assert {u["username"] for u in listed} == {"owner", "officer_a1_2", "supervisor_a1"}
    for who in ("team member", "police", "doctor", "grid officer"):
        response = api(officers.owner).post(f"/api/v1/alerts/{alert.pk}/assign", {"user_id": people[who].pk})
        assert response.status_code == 422, who
        assert response.json()["message"] == "指派对象无权查看该告警对象的档案或定位信息"
    assert Alert.objects.get(pk=alert.pk).assignee is None
    ok = api(officers.owner).post(f"/api/v1/alerts/{alert.pk}/assign", {"user_id": people["officer"].pk})
    assert ok.status_code == 200 and ok.json()["assignee_id"] == people["officer"].pk


def test_a_restricted_files_alert_is_offered_only_to_grant_holders(officers, staff):
    alert, people = staff["alert"], staff["people"]
    Person.objects.filter(pk=alert.person_id).update(is_minor=True)
    # The owner holds no grant either: they still see the alert of their office, and may hand it on only
    # to someone who may open the file.
    assert offered(officers.owner, alert) == set()
    grant_access(
        by=staff["head"],
        person=Person.objects.get(pk=alert.person_id),
        user=people["officer"],
        reason="办理（测试）",
        days=7,
    )
    assert offered(officers.owner, alert) == {"officer_a1_2"}
    client = Client()
    client.force_login(officers.owner)
    client.post(f"/console/alerts/{alert.pk}/assign", {"user_id": people["supervisor"].pk})
    assert Alert.objects.get(pk=alert.pk).assignee is None
    client.post(f"/console/alerts/{alert.pk}/assign", {"user_id": people["officer"].pk})
    assert Alert.objects.get(pk=alert.pk).assignee == people["officer"]


def test_the_list_agrees_with_the_person_rule_for_every_user(tree, officers, staff, api):
    """The list is one query over the users; the rule it inverts is ``Person.objects.visible_to`` with
    the office's roles.  Both must name the same people, with and without the file restricted."""
    alert, head = staff["alert"], staff["head"]
    for restricted in (False, True):
        Person.objects.filter(pk=alert.person_id).update(is_sealed=restricted)
        if restricted:
            grant_access(
                by=head,
                person=Person.objects.get(pk=alert.person_id),
                user=staff["people"]["supervisor"],
                reason="测试",
                days=3,
            )
        expected = {
            u.username
            for u in User.objects.filter(jurisdiction__path__startswith=tree.township_a1.path, is_active=True)
            if u.has_role(*OFFICE_ROLES) and persons_in_reach(u, [alert.person_id])
        }
        listed = api(officers.owner).get(f"/api/v1/alerts/{alert.pk}/assignees").json()
        assert {u["username"] for u in listed} == expected, restricted
