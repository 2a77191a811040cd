"""查阅授权 in the console: the county head opens a minor's or sealed file to one member of staff, with a
reason and a term, and revokes it — by the grants API's rules (the policy before the lookup; the file found
by its place in the tree; its particulars never shown)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from backend.core.models import Role
from backend.core.rules import rules
from backend.people.models import AccessGrant
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def county_head(tree):
    return make_user("head_a", tree.county_a, Role.COUNTY_HEAD)


@pytest.fixture
def minor(tree, officers):
    fifteen = dt.date.today().replace(year=dt.date.today().year - 15, month=1, day=2)
    person = factories.person(officers.owner, tree.township_a1, name="测试少年", birth=fifteen)
    assert person.is_minor
    return person


def test_the_head_grants_a_colleague_access_and_revokes_it(tree, officers, county_head, minor):
    colleague = make_user("officer_a1_b", tree.township_a1, Role.TOWNSHIP_OFFICER)
    url = f"/console/people/{minor.pk}/grants"
    head = signed_in(county_head)
    page = head.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "未成年人" in text and 'id="grant-form"' in text
    assert "测试少年" not in text and minor.id_number not in text  # the head holds no grant: no particulars
    assert signed_in(colleague).get(f"/console/people/{minor.pk}/").status_code == 404

    response = head.post(url, {"user_id": colleague.pk, "reason": "办理社区矫正（测试）", "days": "7"})
    assert response.status_code == 302 and response["Location"] == url
    grant = AccessGrant.objects.get(user=colleague)
    assert (grant.expires_at - grant.granted_at).days in (6, 7) and grant.granted_by == county_head
    assert signed_in(colleague).get(f"/console/people/{minor.pk}/").status_code == 200

    revoked = head.post(f"{url}/{grant.pk}/revoke")
    assert revoked.status_code == 302 and revoked["Location"] == url
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert signed_in(colleague).get(f"/console/people/{minor.pk}/").status_code == 404
    assert "已撤销" in head.get(url).content.decode()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"reason": ""}, "reason", "必填字段缺失"),
        ({"days": "0"}, "days", None),  # the schema lets 0 through (Int64 bounds); the action refuses
        ({"days": "100000"}, "days", None),  # above the rule's maximum: the action's message
        ({"days": "七"}, "days", "应为整数"),
        ({"user_id": ""}, "user_id", "必填字段缺失"),
        ({"reason": "依据\x00"}, "reason", "不能包含空字符（U+0000）或无效的 Unicode 字符"),
    ],
)
def test_a_grant_form_with_garbage_is_refused_beside_the_field(
    tree, officers, county_head, minor, body, field, message
):
    full = {"user_id": officers.colleague.pk, "reason": "测试", "days": "7", **body}
    response = signed_in(county_head).post(f"/console/people/{minor.pk}/grants", full)
    assert response.status_code == 422
    expected = message or f"授权期限应在 1 到 {rules().access_grant_max_days} 天之间"
    assert f'id="{field}-error" role="alert">{expected}</span>' in response.content.decode()
    assert not AccessGrant.objects.exclude(user=officers.owner).exists()  # only the registrar's own grant


def test_staff_of_another_county_cannot_be_granted(tree, officers, county_head, minor):
    response = signed_in(county_head).post(
        f"/console/people/{minor.pk}/grants", {"user_id": officers.outsider.pk, "reason": "测试", "days": "7"}
    )
    assert response.status_code == 404  # not in the head's reach, as the API
    assert not AccessGrant.objects.filter(user=officers.outsider).exists()


def test_an_open_file_needs_no_grant_and_offers_no_form(tree, officers, county_head):
    person = factories.person(officers.owner, tree.township_a1)
    url = f"/console/people/{person.pk}/grants"
    assert 'id="grant-form"' not in signed_in(county_head).get(url).content.decode()
    refused = signed_in(county_head).post(url, {"user_id": officers.owner.pk, "reason": "测试", "days": "7"})
    assert refused.status_code == 422 and "该档案不是未成年人或封存档案，无需授权" in refused.content.decode()


def test_only_the_head_or_an_admin_may_grant_and_others_do_not_learn_the_file_exists(tree, officers, minor):
    url = f"/console/people/{minor.pk}/grants"
    for user in (officers.owner, officers.colleague):
        response = signed_in(user).get(url)
        assert response.status_code == 403 and "仅县级负责人或管理员" in response.content.decode()
    assert signed_in(officers.owner).get(f"/console/people/{10**9}/grants").status_code == 403
    assert signed_in(officers.owner).post(f"{url}/1/revoke").status_code == 403
    other_head = make_user("head_b", tree.county_b, Role.COUNTY_HEAD)
    assert signed_in(other_head).get(url).status_code == 404


def test_the_head_finds_a_restricted_file_by_its_number_from_the_people_list(
    tree, officers, county_head, minor
):
    head = signed_in(county_head)
    assert 'id="grants-find"' in head.get("/console/people/").content.decode()
    assert 'id="grants-find"' not in signed_in(officers.owner).get("/console/people/").content.decode()
    found = head.get(f"/console/people/grants?person={minor.pk}")
    assert found.status_code == 302 and found["Location"] == f"/console/people/{minor.pk}/grants"
    for garbage in ("", "abc", "0", str(2**63)):
        assert head.get(f"/console/people/grants?person={garbage}")["Location"] == "/console/people/"


def test_the_person_page_links_to_the_grants_of_a_restricted_file_for_the_head(
    tree, officers, county_head, minor
):
    from backend.people.actions.persons import grant_access

    grant_access(by=county_head, person=minor, user=county_head, reason="测试", days=3)
    page = signed_in(county_head).get(f"/console/people/{minor.pk}/").content.decode()
    assert 'id="person-grants"' in page
    assert (
        'id="person-grants"'
        not in signed_in(officers.owner).get(f"/console/people/{minor.pk}/").content.decode()
    )
