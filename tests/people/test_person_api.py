from __future__ import annotations

import datetime as dt

import pytest

from backend.core.models import AuditEvent
from backend.people.models import Case, CaseStatus, Person
from tests.people import factories

pytestmark = pytest.mark.django_db


def new_person(tree, **extra) -> dict:
    return {
        "jurisdiction_id": tree.township_a1.pk,
        "name": "测试王某",
        "id_number": factories.make_id(dt.date(1985, 6, 1)),
        "phones": [{"number": "13800001111", "label": "本人"}],
        "residence_address": "演示县东城路1号（测试）",
        "residence_point": {"lat": 30.1, "lon": 120.2},
        "contacts": [{"relation": "配偶", "name": "测试李某", "phone": "13800002222", "is_guardian": False}],
        **extra,
    }


def test_an_officer_registers_a_person_and_reads_the_file(tree, officer, api):
    client = api(officer)
    created = client.post("/api/v1/persons", new_person(tree))
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["access"] == "full" and body["name"] == "测试王某"
    assert body["birth_date"] == "1985-06-01" and body["gender"] == "male"  # taken from the ID number
    assert body["phones"] == [{"number": "13800001111", "label": "本人"}]
    read = client.get(f"/api/v1/persons/{body['id']}")
    assert read.status_code == 200
    event = AuditEvent.objects.filter(action="person.read", target_id=str(body["id"])).get()
    assert "测试王某" not in str(event.details) and event.details == {"access": "full"}


def test_a_bad_check_digit_is_refused_and_nothing_is_stored(tree, officer, api):
    number = factories.make_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = api(officer).post("/api/v1/persons", new_person(tree, id_number=wrong))
    assert response.status_code == 422
    assert response.json()["message"] == "身份证号码校验位错误，请核对"
    assert wrong not in response.content.decode()
    assert Person.objects.count() == 0


def test_gender_or_birth_date_that_contradict_the_id_number_are_refused(tree, officer, api):
    number = factories.make_id(dt.date(1985, 6, 1), female=False)
    assert (
        api(officer).post("/api/v1/persons", new_person(tree, id_number=number, gender="female")).status_code
        == 422
    )
    response = api(officer).post(
        "/api/v1/persons", new_person(tree, id_number=number, birth_date="1985-06-02")
    )
    assert response.json()["message"] == "出生日期与身份证号码不一致"


def test_an_impossible_date_is_a_validation_error(tree, officer, api):
    response = api(officer).post("/api/v1/persons", new_person(tree, birth_date="1985-02-30"))
    assert response.status_code == 422 and response.json()["details"]["fields"][0]["loc"] == [
        "body",
        "birth_date",
    ]


def test_the_same_id_number_cannot_be_registered_twice(tree, officer, api):
    body = new_person(tree)
    assert api(officer).post("/api/v1/persons", body).status_code == 201
    again = api(officer).post("/api/v1/persons", {**body, "name": "测试另一人"})
    assert again.status_code == 409 and "已建档" in again.json()["message"]


def test_exact_search_by_id_number_phone_and_name_finds_only_exact_matches(tree, officer, api):
    a = factories.person(officer, tree.township_a1, name="测试张三", phones=[{"number": "13800003333"}])
    factories.person(officer, tree.township_a1, name="测试张三丰", phones=[{"number": "13800003334"}])
    client = api(officer)

    def ids(response):
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["items"]]

    assert ids(client.post("/api/v1/persons/search", {"id_number": a.id_number.lower()})) == [a.pk]
    assert ids(client.get(f"/api/v1/persons?id_number={a.id_number}")) == [a.pk]
    assert ids(client.post("/api/v1/persons/search", {"phone": "+86 138-0000-3333"})) == [a.pk]
    assert ids(client.post("/api/v1/persons/search", {"name": "测试张三"})) == [a.pk]
    assert ids(client.post("/api/v1/persons/search", {"name": "测试张"})) == []
    assert ids(client.post("/api/v1/persons/search", {"id_number": a.id_number[:10]})) == []
    event = AuditEvent.objects.filter(action="person.search").last()
    assert event.details["filters"] == ["id_number"] and a.id_number not in str(event.details)


def test_list_filters_by_case_kind_status_category_and_risk(tree, officer, api):
    plain = factories.person(officer, tree.township_a1)
    corrected = factories.person(officer, tree.township_a1)
    case = factories.correction(officer, corrected)
    patient = factories.person(officer, tree.township_a1)
    factories.mental_health(officer, patient, risk_level=4)
    client = api(officer)

    def ids(query):
        return {item["id"] for item in client.get(f"/api/v1/persons?{query}").json()["items"]}

    assert ids("") == {plain.pk, corrected.pk, patient.pk}
    assert ids("case_kind=correction") == {corrected.pk}
    assert ids("status=pending_report") == {corrected.pk}
    assert ids("case_kind=mental_health&risk_level=4") == {patient.pk}
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE, category="normal")
    assert ids("category=normal") == {corrected.pk}
    assert ids(f"jurisdiction_id={tree.grid_a1.pk}") == set()  # nobody registered at grid level
    assert client.get(f"/api/v1/persons?jurisdiction_id={tree.township_a2.pk}").status_code == 404


def test_the_colour_is_computed_from_category_and_risk(tree, officer, api):
    green = factories.person(officer, tree.township_a1)
    red = factories.person(officer, tree.township_a1)
    factories.mental_health(officer, red, risk_level=3)
    yellow = factories.person(officer, tree.township_a1)
    case = factories.correction(officer, yellow)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE, category="normal")
    client = api(officer)
    colours = {item["id"]: item["colour"] for item in client.get("/api/v1/persons").json()["items"]}
    assert colours == {green.pk: "green", red.pk: "red", yellow.pk: "yellow"}
    assert {i["id"] for i in client.get("/api/v1/persons?colour=red").json()["items"]} == {red.pk}
    # Lost contact turns a subject red at once, whatever the category.
    Case.objects.filter(pk=case.pk).update(sub_status="lost_contact")
    assert client.get(f"/api/v1/persons/{yellow.pk}").json()["colour"] == "red"
    assert "colour" not in {f.name for f in Person._meta.get_fields()}  # computed, never stored


def test_an_update_changes_only_what_was_sent(tree, officer, api):
    person = factories.person(officer, tree.township_a1, residence_address="旧地址（测试）")
    response = api(officer).patch(f"/api/v1/persons/{person.pk}", {"employer": "演示公司（测试）"})
    assert response.status_code == 200
    person.refresh_from_db()
    assert (person.employer, person.residence_address) == ("演示公司（测试）", "旧地址（测试）")
    assert AuditEvent.objects.filter(action="person.update").last().details == {"fields": ["employer"]}


def test_open_alerts_colour_the_board_too(tree, officer, api):
    from backend.monitoring.actions.alerts import raise_alert, resolve_alert
    from backend.monitoring.models import Alert

    person = factories.person(officer, tree.township_a1)

    def colour() -> str:
        return api(officer).get(f"/api/v1/persons/{person.pk}").json()["colour"]

    assert colour() == "green"
    raise_alert(kind="low_battery", severity="low", person=person)
    assert colour() == "yellow"
    raise_alert(kind="sos", severity="critical", person=person)
    assert colour() == "red"
    for alert in Alert.objects.filter(person=person):
        resolve_alert(alert=alert, by=officer, resolution="handled", note="已核实（测试）")
    assert colour() == "green"
