"""The console's 登记并绑定设备 form, the credential page shown once, the device page's bind/unbind/edit, and
the shared zone layer pages: messages beside their fields, nothing written on a refusal, all or none."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.devices import provision_device
from backend.monitoring.actions.layers import create_layer
from backend.monitoring.models import Device, ZoneLayer
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def person(tree, officers):
    return factories.person(officers.owner, tree.township_a1, name="测试李四")


def provision(client, tree, **values):
    form = {"jurisdiction_id": tree.township_a1.pk, "kind": "phone", "protocol": "osmand", **values}
    return client.post("/console/devices/new", form)


def test_the_person_page_offers_provisioning_a_device_for_them(tree, officers, person):
    page = signed_in(officers.owner).get(f"/console/people/{person.pk}/").content.decode()
    assert f'href="/console/devices/new?person={person.pk}"' in page and "登记并绑定设备" in page
    form = signed_in(officers.owner).get(f"/console/devices/new?person={person.pk}").content.decode()
    assert "测试李四" in form and f'name="person_id" value="{person.pk}"' in form


def test_a_phone_provisioned_for_a_person_shows_its_identifier_and_qr_code_once(tree, officers, person):
    client = signed_in(officers.owner)
    response = provision(client, tree, person_id=person.pk, label="李四手机")
    device = Device.objects.get(label="李四手机")
    assert device.person_id == person.pk
    assert response.status_code == 302 and response["Location"] == f"/console/devices/{device.pk}/issued"
    shown = client.get(response["Location"])
    text = shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    identifier = re.search(r'id="credential">([0-9a-f]{20})<', text).group(1)
    assert f"/?id={identifier}" in text and '<svg viewBox="0 0' in text and 'class="qr"' in text
    # The session held it sealed, never in plaintext, and gives it up once.
    assert identifier not in str(dict(client.session))
    again = client.get(f"/console/devices/{device.pk}/issued")
    assert again.status_code == 302 and again["Location"] == f"/console/devices/{device.pk}/"
    assert identifier not in client.get(again["Location"]).content.decode()
    assert [e.action for e in AuditEvent.objects.filter(target_id=str(device.pk), target_type="monitoring.device")
            .order_by("id")] == ["device.provision", "device.assign"]  # fmt: skip


def test_a_tag_without_an_order_is_refused_with_the_reason_and_nothing_is_written(tree, officers, person):
    response = provision(
        signed_in(officers.owner),
        tree,
        person_id=person.pk,
        kind="tag",
        protocol="jt808",
        identifier="13800138077",
    )
    assert response.status_code == 422
    assert "电子定位决定（社区矫正法第二十九条）" in response.content.decode()
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"protocol": "smoke"}, "protocol", "osmand"),  # the schema's own message names the choices
        ({"kind": "drone"}, "kind", "tag"),
        ({"protocol": "gt06", "identifier": "12345"}, "identifier", "IMEI 应为 15 位数字"),
        ({"protocol": "jt808", "identifier": "1" * 33}, "identifier", ""),
        ({"label": "名\x00字"}, "label", "空字符"),
        ({"jurisdiction_id": "abc"}, "jurisdiction_id", ""),
        ({"person_id_number": "990101199003070019"}, "person_id_number", "未找到"),
    ],
)
def test_garbage_in_the_provisioning_form_is_shown_beside_its_field(tree, officers, values, field, message):
    response = provision(signed_in(officers.owner), tree, **values)
    text = response.content.decode()
    assert response.status_code == 422
    assert f'id="{field}-error"' in text and message in text
    assert not Device.objects.exists()


def test_a_duplicate_identifier_is_shown_beside_the_identifier(tree, officers):
    client = signed_in(officers.owner)
    assert provision(client, tree, protocol="gt06", identifier="356307042441013").status_code == 302
    response = provision(client, tree, protocol="gt06", identifier="356307042441013")
    assert response.status_code == 422 and 'id="identifier-error"' in response.content.decode()
    assert "该设备标识已登记" in response.content.decode() and Device.objects.count() == 1


def test_a_person_out_of_reach_is_404_on_the_provisioning_form(tree, officers, person):
    client = signed_in(officers.colleague)
    assert client.get(f"/console/devices/new?person={person.pk}").status_code == 404
    assert provision(client, tree, person_id=person.pk).status_code == 404
    assert not Device.objects.exists()


def test_the_device_page_binds_unbinds_and_edits_with_audit_rows(tree, officers, person):
    device = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                              identifier=None).device  # fmt: skip
    client = signed_in(officers.owner)
    page = client.get(f"/console/devices/{device.pk}/").content.decode()
    assert 'id="assign-form"' in page and "测试李四" in page
    assert client.post(f"/console/devices/{device.pk}/assign", {"person_id": person.pk}).status_code == 302
    device.refresh_from_db()
    assert device.person_id == person.pk
    assert 'id="unassign-form"' in client.get(f"/console/devices/{device.pk}/").content.decode()
    assert client.post(f"/console/devices/{device.pk}/unassign").status_code == 302
    device.refresh_from_db()
    assert device.person_id is None
    by_number = client.post(f"/console/devices/{device.pk}/assign", {"person_id_number": person.id_number})
    assert by_number.status_code == 302 and Device.objects.get(pk=device.pk).person_id == person.pk
    edit = client.post(f"/console/devices/{device.pk}/edit", {"model": "C5", "label": "新备注"})
    assert edit.status_code == 302
    device.refresh_from_db()
    assert (device.model, device.label) == ("C5", "新备注")
    too_long = client.post(f"/console/devices/{device.pk}/edit", {"model": "x" * 65})
    assert too_long.status_code == 422 and 'id="model-error"' in too_long.content.decode()
    actions = list(AuditEvent.objects.filter(target_id=str(device.pk), target_type="monitoring.device")
                   .order_by("id").values_list("action", flat=True))  # fmt: skip
    assert actions == [
        "device.provision",
        "device.assign",
        "device.unassign",
        "device.assign",
        "device.update",
    ]


def test_binding_a_tag_from_the_device_page_without_an_order_says_why(tree, officers, person):
    tag = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="tag", protocol="gt06",
                           identifier="356307042441013").device  # fmt: skip
    client = signed_in(officers.owner)
    response = client.post(f"/console/devices/{tag.pk}/assign", {"person_id": person.pk}, follow=True)
    assert "电子定位决定（社区矫正法第二十九条）" in response.content.decode()
    assert Device.objects.get(pk=tag.pk).person_id is None


# --- shared zone layers ---------------------------------------------------------------------------------


@pytest.fixture
def county(tree):
    return make_user("county_officer", tree.county_a, Role.COUNTY_OFFICER)


def test_a_county_officer_creates_a_layer_on_its_page(tree, county):
    client = signed_in(county)
    response = client.post(
        "/console/zone-layers/", {"jurisdiction_id": tree.county_a.pk, "name": "全县中小学"}
    )
    layer = ZoneLayer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/zone-layers/{layer.pk}/"
    assert "全县中小学" in client.get("/console/zone-layers/").content.decode()
    blank = client.post("/console/zone-layers/", {"jurisdiction_id": tree.county_a.pk, "name": ""})
    assert blank.status_code == 422 and 'id="name-error"' in blank.content.decode()
    assert ZoneLayer.objects.count() == 1


def test_the_layer_page_adds_many_people_at_once_and_refuses_the_whole_list_for_one_out_of_reach(
    tree, officers, county
):
    layer = create_layer(by=county, jurisdiction=tree.county_a, name="全县网吧")
    mine = [factories.person(officers.owner, tree.township_a1, name=f"测试甲{i}") for i in range(3)]
    theirs = factories.person(officers.outsider, tree.township_b1, name="测试乙县")
    client = signed_in(county)
    page = client.get(f"/console/zone-layers/{layer.pk}/").content.decode()
    assert all(p.name in page for p in mine) and "测试乙县" not in page  # only the county's people offered
    refused = client.post(
        f"/console/zone-layers/{layer.pk}/persons",
        {
            "action": "add",
            "person_ids[]": [mine[0].pk],
            "id_numbers": f"{mine[1].id_number}\n{theirs.id_number}",
        },
    )
    text = refused.content.decode()
    assert refused.status_code == 422 and "第 2 个证件号码未找到" in text and 'id="id_numbers-error"' in text
    assert theirs.id_number in text  # the officer's own typing comes back in the box, nowhere else
    assert layer.persons.count() == 0
    done = client.post(
        f"/console/zone-layers/{layer.pk}/persons",
        {"action": "add", "person_ids[]": [mine[0].pk, mine[1].pk], "id_numbers": mine[2].id_number},
    )
    assert done.status_code == 302 and set(layer.persons.values_list("pk", flat=True)) == {p.pk for p in mine}
    assert "已将 3 人加入图层" in client.get(done["Location"]).content.decode()
    removed = client.post(
        f"/console/zone-layers/{layer.pk}/persons", {"action": "remove", "person_ids[]": [mine[0].pk]}
    )
    assert removed.status_code == 302 and layer.persons.count() == 2


def test_a_bad_check_digit_in_the_pasted_list_is_refused_beside_the_box(tree, officers, county):
    layer = create_layer(by=county, jurisdiction=tree.county_a, name="全县网吧")
    response = signed_in(county).post(
        f"/console/zone-layers/{layer.pk}/persons", {"action": "add", "id_numbers": "990101199003070019"}
    )
    assert response.status_code == 422 and "校验位错误" in response.content.decode()


def test_the_layer_pages_are_out_of_reach_for_other_offices_and_team_members(tree, officers, county):
    layer = create_layer(by=county, jurisdiction=tree.county_a, name="全县网吧")
    assert signed_in(officers.owner).get(f"/console/zone-layers/{layer.pk}/").status_code == 404  # above them
    assert (
        signed_in(officers.outsider).post(f"/console/zone-layers/{layer.pk}/persons", {}).status_code == 404
    )
    member = make_user("member", tree.township_a1, Role.TEAM_MEMBER)
    assert signed_in(member).get("/console/zone-layers/").status_code == 403
