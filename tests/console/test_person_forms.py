"""建档 and 修改档案 in the console: the API's schema and action decide, their messages stand beside the
field, garbage is refused with nothing written, and an ID number already on file is reported with a link
only for whom may open that file."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from backend.core.models import AuditEvent, Role
from backend.people.actions.teams import add_member
from backend.people.models import Person
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db

NEW = "/console/people/new"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(tree, **extra) -> dict:
    return {
        "jurisdiction_id": str(tree.township_a1.pk), "name": "测试王某", "former_names_text": "王甲、王乙",
        "id_type": "resident_id", "id_number": factories.make_id(dt.date(1985, 6, 1)), "gender": "",
        "birth_date": "", "ethnicity": "汉族", "household_address": "演示县西城路2号（测试）",
        "residence_address": "演示县东城路1号（测试）", "residence_point.lat": "30.1", "residence_point.lon": "120.2",
        "employer": "演示公司（测试）", "phones.0.number": "13800001111", "phones.0.label": "本人",
        "phones.1.number": "", "phones.1.label": "", "contacts.0.relation": "配偶", "contacts.0.name": "测试李某",
        "contacts.0.phone": "13800002222", "contacts.0.is_guardian": "on", **extra,
    }  # fmt: skip


def error_beside(response, field: str) -> str:
    """The message shown beside ``field`` (``<span class="field-error" id="<field>-error">``)."""
    match = re.search(rf'<span class="field-error" id="{re.escape(field)}-error" role="alert">([^<]*)</span>',
                      response.content.decode())  # fmt: skip
    return match[1] if match else ""


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


# --- registration ----------------------------------------------------------------------------------------


def test_an_officer_registers_a_person_and_lands_on_the_file(tree, officers):
    client = signed_in(officers.owner)
    page = client.get(NEW)
    assert page.status_code == 200 and "人员建档" in page.content.decode()
    response = client.post(NEW, form(tree))
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/people/{person.pk}/"
    assert person.birth_date == dt.date(1985, 6, 1) and person.gender == "male"  # from the ID number
    assert person.former_names == ["王甲", "王乙"] and person.residence_point == {"lat": 30.1, "lon": 120.2}
    assert [(p.number, p.label) for p in person.phones.all()] == [("13800001111", "本人")]
    assert [(c.relation, c.name, c.is_guardian) for c in person.contacts.all()] == [
        ("配偶", "测试李某", True)
    ]
    assert not person.is_minor and not person.is_sealed
    assert AuditEvent.objects.filter(action="person.create", target_id=str(person.pk)).exists()
    assert "已建档" in client.get(response["Location"]).content.decode()  # the flash on the person page


def test_a_minor_is_derived_from_the_birth_date_when_the_box_is_left_unticked(tree, officers):
    fifteen = dt.date.today().replace(year=dt.date.today().year - 15, month=1, day=2)
    client = signed_in(officers.owner)
    response = client.post(NEW, form(tree, id_number=factories.make_id(fifteen)))
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.is_minor  # an unticked box is "not said", not "not a minor"
    assert client.get(response["Location"]).status_code == 200  # the registering officer holds a grant


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"id_number": "wrong"}, "id_number", "身份证号码校验位错误，请核对"),
        ({"id_number": "99010119850230001"}, "id_number", "身份证号码应为 18 位（末位可为 X）"),
        ({"id_number": "990101198502300011"}, "id_number", "身份证号码中的出生日期不存在"),
        ({"birth_date": "1985-02-30"}, "birth_date", "日期格式应为 YYYY-MM-DD"),
        ({"birth_date": "1985-06-02"}, "birth_date", "出生日期与身份证号码不一致"),
        ({"gender": "female"}, "gender", "性别与身份证号码不一致"),
        ({"name": "测" * 65}, "name", "长度超出上限"),
        ({"name": ""}, "name", "必填字段缺失"),
        ({"name": "测试\x00王某"}, "name", "不能包含空字符（U+0000）或无效的 Unicode 字符"),
        ({"employer": "单位\x00"}, "employer", "不能包含空字符（U+0000）或无效的 Unicode 字符"),
        ({"residence_point.lat": "91"}, "residence_point.lat", "数值过大"),
        ({"residence_point.lon": ""}, "residence_point.lon", "必填字段缺失"),
        ({"residence_point.lat": "北纬"}, "residence_point.lat", "应为数字"),
        ({"residence_point.lat": "0", "residence_point.lon": "0"}, "residence_point", "居住地坐标 (0, 0) 不是有效位置"),
        ({"id_type": "passport", "id_number": "护照号码"}, "id_number", "证件号码格式不正确"),
        ({"id_type": "driving_licence"}, "id_type", "取值不在允许范围内"),
        ({"former_names_text": "名" * 65}, "former_names_text", "曾用名最多 10 个，每个不超过 64 字"),
        ({"contacts.0.name": ""}, "contacts.0.name", "必填字段缺失"),
    ],
)  # fmt: skip
def test_garbage_is_refused_beside_its_field_and_nothing_is_written(tree, officers, fields, field, message):
    body = form(tree, **fields)
    if body["id_number"] == "wrong":
        body["id_number"] = wrong_check_digit(factories.make_id())
    response = signed_in(officers.owner).post(NEW, body)
    assert response.status_code == 422
    assert error_beside(response, field) == message
    assert 'aria-invalid="true"' in response.content.decode()
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.filter(action="person.create").exists()


def test_a_phone_row_error_stands_beside_the_row_it_is_about_after_an_empty_row(tree, officers):
    body = form(tree, **{"phones.0.number": "", "phones.0.label": "", "phones.1.number": "12"})
    response = signed_in(officers.owner).post(NEW, body)
    assert response.status_code == 422
    assert error_beside(response, "phones.0.number") == "长度不足"  # the empty row dropped, as shape drops it
    assert 'name="phones.0.number" maxlength="32" value="12"' in response.content.decode()
    assert Person.objects.count() == 0


def test_the_form_keeps_what_was_typed_after_a_refusal(tree, officers):
    response = signed_in(officers.owner).post(NEW, form(tree, gender="female"))
    text = response.content.decode()
    assert 'value="测试王某"' in text and 'value="王甲、王乙"' in text and 'value="测试李某"' in text
    assert '<option value="female" selected>' in text


def test_an_id_number_already_on_file_warns_with_a_link_for_whom_may_open_it(tree, officers):
    existing = factories.person(officers.owner, tree.township_a1, name="测试在册")
    body = form(tree, id_number=existing.id_number)
    response = signed_in(officers.owner).post(NEW, body)
    assert response.status_code == 422
    assert error_beside(response, "id_number") == "该证件号码已建档，请通过证件号码查询"
    assert f'<a href="/console/people/{existing.pk}/">查看该人员档案</a>' in response.content.decode()
    assert "测试在册" not in response.content.decode()
    assert Person.objects.count() == 1
    search = AuditEvent.objects.filter(action="person.search").latest("id")
    assert search.details == {"ids": [existing.pk], "filters": ["id_number"], "page": "console"}
    assert existing.id_number not in str(search.details)


def test_a_colleague_is_told_the_number_is_on_file_without_a_link(tree, officers):
    existing = factories.person(officers.owner, tree.township_a1)
    body = form(tree, jurisdiction_id=str(tree.township_a2.pk), id_number=existing.id_number)
    response = signed_in(officers.colleague).post(NEW, body)
    assert response.status_code == 422
    assert error_beside(response, "id_number") == "该证件号码已建档，请通过证件号码查询"
    assert f"/console/people/{existing.pk}/" not in response.content.decode()
    assert Person.objects.count() == 1


def test_an_office_out_of_reach_is_not_offered_and_not_accepted(tree, officers):
    client = signed_in(officers.owner)
    assert f'value="{tree.township_b1.pk}"' not in client.get(NEW).content.decode()
    assert client.post(NEW, form(tree, jurisdiction_id=str(tree.township_b1.pk))).status_code == 404
    assert Person.objects.count() == 0


def test_a_team_member_may_not_register(tree, officers):
    volunteer = make_user("volunteer_a1", tree.grid_a1, Role.TEAM_MEMBER)
    response = signed_in(volunteer).post(NEW, form(tree))
    assert response.status_code == 403 and "无权修改人员档案" in response.content.decode()
    assert Person.objects.count() == 0


def test_the_people_list_links_to_registration_for_those_who_may_register(tree, officers):
    assert 'href="/console/people/new"' in signed_in(officers.owner).get("/console/people/").content.decode()
    volunteer = make_user("volunteer_a1", tree.grid_a1, Role.TEAM_MEMBER)
    assert 'href="/console/people/new"' not in signed_in(volunteer).get("/console/people/").content.decode()


# --- the live check --------------------------------------------------------------------------------------


def test_the_live_check_answers_by_post_scoped_and_audited_without_the_number(tree, officers):
    existing = factories.person(officers.owner, tree.township_a1)
    url = "/console/people/check-id"
    owner = signed_in(officers.owner).post(url, {"id_number": existing.id_number}).json()
    assert owner == {
        "exists": True, "url": f"/console/people/{existing.pk}/",
        "items": [{"id": existing.pk, "url": f"/console/people/{existing.pk}/"}],
    }  # fmt: skip
    assert (
        signed_in(officers.colleague).post(url, {"id_number": existing.id_number}).json()["exists"] is False
    )
    assert signed_in(officers.owner).post(url, {"id_number": factories.make_id()}).json()["exists"] is False
    editing = signed_in(officers.owner).post(url, {"id_number": existing.id_number, "exclude": existing.pk})
    assert editing.json()["exists"] is False  # the file being edited is not a duplicate of itself
    assert signed_in(officers.owner).get(f"{url}?id_number={existing.id_number}").status_code == 405
    rows = AuditEvent.objects.filter(action="person.search")
    assert rows.count() == 4 and all(r.details["filters"] == ["id_number"] for r in rows)
    assert all(existing.id_number not in str(r.details) for r in rows)


@pytest.mark.parametrize(
    ("number", "message"), [("", "请提供证件号码"), ("1" * 41, "长度超出上限"), ("1\x00", "不能包含空字符（U+0000）或无效的 Unicode 字符")]
)  # fmt: skip
def test_the_live_check_refuses_garbage(tree, officers, number, message):
    response = signed_in(officers.owner).post("/console/people/check-id", {"id_number": number})
    assert response.status_code == 422 and response.json() == {"error": message}
    assert not AuditEvent.objects.filter(action="person.search").exists()


def test_the_live_check_needs_a_signed_in_user(tree):
    response = Client().post(
        "/console/people/check-id", {"id_number": "1"}, headers={"X-Requested-With": "fetch"}
    )
    assert response.status_code == 401


# --- editing ---------------------------------------------------------------------------------------------


def edit_form(person, **extra) -> dict:
    return {
        "name": person.name, "id_type": person.id_type, "id_number": person.id_number, "gender": person.gender,
        "birth_date": person.birth_date.isoformat(), "phones.0.number": "13900001111", "phones.0.label": "本人",
        "employer": "演示公司（测试）", **extra,
    }  # fmt: skip


def test_an_officer_edits_a_phone_and_only_that_change_is_audited(tree, officers):
    person = factories.person(officers.owner, tree.township_a1, employer="演示公司（测试）",
                              phones=[{"number": "13900001111", "label": "本人"}],
                              contacts=[{"relation": "母亲", "name": "测试钱某", "is_guardian": True}])  # fmt: skip
    client = signed_in(officers.owner)
    page = client.get(f"/console/people/{person.pk}/edit").content.decode()
    assert 'value="13900001111"' in page and f'data-initial="{person.id_number}"' in page
    assert 'name="contacts.0.is_guardian" checked' in page
    unchanged = {"contacts.0.relation": "母亲", "contacts.0.name": "测试钱某", "contacts.0.is_guardian": "on"}
    response = client.post(
        f"/console/people/{person.pk}/edit",
        edit_form(person, **{"phones.0.number": "13900002222"}, **unchanged),
    )
    assert response.status_code == 302 and response["Location"] == f"/console/people/{person.pk}/"
    assert [p.number for p in Person.objects.get().phones.all()] == ["13900002222"]
    assert AuditEvent.objects.filter(action="person.update").latest("id").details == {"fields": ["phones"]}


def test_a_field_emptied_on_the_edit_form_is_cleared(tree, officers):
    person = factories.person(officers.owner, tree.township_a1, employer="演示公司（测试）")
    response = signed_in(officers.owner).post(
        f"/console/people/{person.pk}/edit", edit_form(person, employer="")
    )
    assert response.status_code == 302
    assert not Person.objects.get().employer
    assert AuditEvent.objects.filter(action="person.update").latest("id").details["fields"] == [
        "employer",
        "phones",
    ]


def test_an_edit_with_a_bad_check_digit_or_an_empty_name_is_refused_and_nothing_changes(tree, officers):
    person = factories.person(officers.owner, tree.township_a1, name="测试原名")
    client = signed_in(officers.owner)
    url = f"/console/people/{person.pk}/edit"
    bad = client.post(url, edit_form(person, id_number=wrong_check_digit(person.id_number)))
    assert bad.status_code == 422 and error_beside(bad, "id_number") == "身份证号码校验位错误，请核对"
    empty = client.post(url, edit_form(person, name=""))
    assert empty.status_code == 422 and error_beside(empty, "name") == "必填字段缺失"
    assert Person.objects.get().name == "测试原名"
    assert not AuditEvent.objects.filter(action="person.update").exists()


def test_editing_to_another_files_number_warns_beside_the_field(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    other = factories.person(officers.owner, tree.township_a1)
    response = signed_in(officers.owner).post(
        f"/console/people/{person.pk}/edit", edit_form(person, id_number=other.id_number, birth_date="")
    )
    assert response.status_code == 422 and error_beside(response, "id_number") == "该证件号码已建档"


def test_editing_is_404_out_of_reach_and_refused_to_a_team_member_as_the_api(tree, officers, api):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    volunteer = make_user("volunteer_a1", tree.grid_a1, Role.TEAM_MEMBER)
    add_member(by=officers.owner, team=case.team, role="volunteer", gender="male", user=volunteer)
    url = f"/console/people/{person.pk}/edit"
    assert signed_in(officers.colleague).get(url).status_code == 404
    assert signed_in(officers.outsider).post(url, edit_form(person)).status_code == 404
    refused = signed_in(volunteer).get(url)
    assert refused.status_code == 403 and "无权修改人员档案" in refused.content.decode()
    assert signed_in(volunteer).post(url, edit_form(person)).status_code == 403
    # the API answers the same: 404 out of reach, 403 for the team member who may read
    assert api(officers.colleague).patch(f"/api/v1/persons/{person.pk}", {"employer": "x"}).status_code == 404
    assert api(volunteer).patch(f"/api/v1/persons/{person.pk}", {"employer": "x"}).status_code == 403
    person_page = signed_in(volunteer).get(f"/console/people/{person.pk}/").content.decode()
    assert 'id="person-edit"' not in person_page
    assert (
        'id="person-edit"' in signed_in(officers.owner).get(f"/console/people/{person.pk}/").content.decode()
    )
