"""登记并绑定: a tracker provisioned and handed to a person in one step (all or nothing), its model and label
edited, and what a phone or terminal is told to connect to (the QR code's text, decoded back)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import zxingcpp  # the dev extra (pyproject.toml): reads the code as a phone's camera would
from django.test import override_settings

from backend.console.qr import qr_matrix, qr_svg
from backend.core.errors import Conflict, Invalid
from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.devices import provision_and_assign, provision_device, update_device
from backend.monitoring.device_setup import server_address, setup_text
from backend.monitoring.models import Device, DeviceAssignment
from backend.people.actions.transitions import transition_case
from tests.conftest import make_user
from tests.monitoring.order_helpers import grant_order
from tests.people import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def subject(tree, officers):
    person = factories.person(officers.owner, tree.township_a1, name="测试佩戴人")
    case = factories.correction(
        officers.owner, person, judgment_effective_on=TODAY - dt.timedelta(days=20),
        term_start=TODAY - dt.timedelta(days=20),
    )  # fmt: skip
    transition_case(by=officers.owner, case=case, action="report", effective_on=TODAY - dt.timedelta(days=15))
    return person


def audit_actions(target) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_phone_is_provisioned_and_bound_in_one_step_with_both_audit_rows(tree, officers, subject):
    result = provision_and_assign(
        by=officers.owner, jurisdiction=tree.township_a1, person=subject, kind="phone", protocol="osmand",
        identifier=None, label="本人手机",
    )  # fmt: skip
    device = result.device
    assert device.person_id == subject.pk and device.assigned_at is not None
    assert len(result.credential) == 20 and device.identifier != result.credential  # only its hash is kept
    assert DeviceAssignment.objects.filter(device=device, person=subject, ended_at__isnull=True).count() == 1
    assert audit_actions(device) == ["device.provision", "device.assign"]


def test_a_tag_without_an_order_in_force_is_refused_and_nothing_is_written(tree, officers, subject):
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="生效的电子定位决定"):
        provision_and_assign(
            by=officers.owner, jurisdiction=tree.township_a1, person=subject, kind="tag", protocol="jt808",
            identifier="13800138009",
        )  # fmt: skip
    assert not Device.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_tag_with_an_approved_order_is_provisioned_and_bound(tree, officers, subject):
    head = make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
    grant_order(
        by=officers.owner, case=subject.cases.get(), approved_by=head, ground="2", facts="未经批准离开本县（测试）",
        starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=60), notice_signed_on=TODAY,
    )  # fmt: skip
    result = provision_and_assign(
        by=officers.owner, jurisdiction=tree.township_a1, person=subject, kind="tag", protocol="jt808",
        identifier="013800138009",
    )  # fmt: skip
    assert result.device.person_id == subject.pk and result.device.identifier == "13800138009"
    assert len(result.credential) == 16


def test_a_duplicate_identifier_is_refused_beside_the_field_and_the_first_device_stays(
    tree, officers, subject
):
    provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="tag", protocol="gt06",
                     identifier="356307042441013")  # fmt: skip
    with pytest.raises(Conflict) as refused:
        provision_and_assign(
            by=officers.owner, jurisdiction=tree.township_a1, person=subject, kind="phone", protocol="gt06",
            identifier="356307042441013",
        )  # fmt: skip
    assert refused.value.details == {"field": "identifier"}
    assert Device.objects.count() == 1 and Device.objects.get().person_id is None


@pytest.mark.parametrize(
    ("protocol", "identifier", "message"),
    [
        ("smoke", "1", "未知的设备类型或协议"),
        ("gt06", "35630704244101X", "IMEI 应为 15 位数字"),
        ("gt06", "1" * 16, "IMEI 应为 15 位数字"),
        ("h02", "123", "设备号应为 10–15 位数字"),
        ("jt808", "", "请填写设备标识"),
    ],
)
def test_garbage_identifiers_and_protocols_are_refused_in_chinese(
    tree, officers, subject, protocol, identifier, message
):
    with pytest.raises(Invalid, match=message):
        provision_and_assign(
            by=officers.owner, jurisdiction=tree.township_a1, person=subject, kind="phone", protocol=protocol,
            identifier=identifier,
        )  # fmt: skip
    assert not Device.objects.exists()


def test_editing_model_and_label_is_audited_only_when_something_changed(tree, officers):
    device = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                              identifier=None).device  # fmt: skip
    update_device(by=officers.owner, device=device, model="C5", label="  新名  ")
    device.refresh_from_db()
    assert (device.model, device.label) == ("C5", "新名")
    update_device(by=officers.owner, device=device, model="C5", label="新名")
    assert audit_actions(device).count("device.update") == 1
    with pytest.raises(Invalid):
        update_device(by=officers.owner, device=device, label="x" * 65)


@override_settings(GATEWAY_PUBLIC_HOST="gps.example.cn", OSMAND_PORT=5055, JT808_PORT=7015)
def test_the_setup_text_names_the_gateway_host_port_and_credential(tree, officers):
    phone = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                             identifier=None)  # fmt: skip
    assert setup_text(phone.device, phone.credential) == f"http://gps.example.cn:5055/?id={phone.credential}"
    terminal = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="jt808",
                                identifier="013800138009")  # fmt: skip
    assert setup_text(terminal.device, terminal.credential) == (
        f"jt808://gps.example.cn:7015?phone=13800138009&auth={terminal.credential}"
    )
    imei = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="tag", protocol="gt06",
                            identifier="356307042441013")  # fmt: skip
    assert imei.credential is None and setup_text(imei.device, None) is None


@override_settings(GATEWAY_PUBLIC_HOST="2001:db8::1", OSMAND_PORT=5055)
def test_an_ipv6_gateway_host_is_bracketed():
    assert server_address(Device(protocol="osmand")) == "http://[2001:db8::1]:5055"


def _pixels(code, scale: int = 4) -> np.ndarray:
    rows = [[0 if dark else 255 for dark in row] for row in code.matrix_iter(scale=scale, border=4)]
    return np.array(rows, dtype=np.uint8)


def test_the_qr_code_decodes_to_the_setup_text():
    text = "http://gps.example.cn:5055/?id=0123456789abcdef0123"
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(_pixels(qr_matrix(text)))]
    assert decoded == [text]
    svg = qr_svg(text, title="扫码 <配置>")
    assert svg.startswith("<svg") and "style" not in svg and "<script" not in svg
    assert "&lt;配置&gt;" in svg  # the title is escaped


@override_settings(GATEWAY_PUBLIC_HOST="gps.example.cn", OSMAND_PORT=5055)
def test_the_api_answers_the_setup_text_with_the_credential_once(api, tree, officers):
    body = (
        api(officers.owner)
        .post(
            "/api/v1/devices", {"jurisdiction_id": tree.township_a1.pk, "kind": "phone", "protocol": "osmand"}
        )
        .json()
    )
    assert body["setup"] == f"http://gps.example.cn:5055/?id={body['credential']}"
    again = api(officers.owner).get(f"/api/v1/devices/{body['id']}").json()
    assert "setup" not in again and "credential" not in again


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"protocol": "smoke"}, 422),  # unknown protocol: the schema's choices
        ({"kind": "drone"}, 422),
        ({"identifier": "1" * 33, "protocol": "jt808"}, 422),  # oversize
        ({"label": "a\x00b"}, 422),  # NUL
        ({"jurisdiction_id": 0}, 422),
    ],
)
def test_garbage_provisioning_through_the_api_is_refused_and_nothing_is_written(
    api, tree, officers, body, status
):
    payload = {"jurisdiction_id": tree.township_a1.pk, "kind": "phone", "protocol": "osmand", **body}
    assert api(officers.owner).post("/api/v1/devices", payload).status_code == status
    assert not Device.objects.exists()


def test_editing_through_the_api_goes_through_the_audited_action(api, tree, officers):
    device = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                              identifier=None).device  # fmt: skip
    response = api(officers.owner).patch(f"/api/v1/devices/{device.pk}", {"label": "新名", "model": "C5"})
    assert response.status_code == 200 and response.json()["label"] == "新名"
    assert audit_actions(device).count("device.update") == 1
