"""The OpenAPI document tells the truth (issue #23 item 10): one name per schema, the error answers each
operation may give in the one error shape, and every way of proving who you are as a security scheme."""

from __future__ import annotations

import pytest
from ninja.openapi.schema import OpenAPISchema

from backend.api import api as ninja_api
from backend.core.models import Role
from tests.conftest import make_user
from tests.people import factories

PREFIX = "/api/v1"


class _NameRecordingSchema(OpenAPISchema):
    """ninja's own schema generation, remembering every component name that two different definitions
    claimed (ninja keeps the last one silently)."""

    def __init__(self, *args, **kwargs):
        self.clashes: dict[str, list[dict]] = {}
        super().__init__(*args, **kwargs)

    def add_schema_definitions(self, definitions: dict) -> None:
        for name, definition in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != definition:
                self.clashes.setdefault(name, [known]).append(definition)
        super().add_schema_definitions(definitions)


def _spec() -> dict:
    return ninja_api.get_openapi_schema(path_prefix=PREFIX)


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_no_two_schemas_share_a_component_name():
    generated = _NameRecordingSchema(ninja_api, PREFIX)
    assert sorted(generated.clashes) == []


def test_the_device_assign_body_is_documented_as_the_device_assignment_and_following_it_works(tree, api, db):
    spec = _spec()
    body = spec["paths"][f"{PREFIX}/devices/{{device_id}}/assign"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    documented = spec["components"]["schemas"][ref]
    assert set(documented["properties"]) == {"person_id"} and documented["required"] == ["person_id"]
    alert_body = spec["paths"][f"{PREFIX}/alerts/{{alert_id}}/assign"]["post"]["requestBody"]
    alert_ref = alert_body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert alert_ref != ref
    assert set(spec["components"]["schemas"][alert_ref]["properties"]) == {"note", "user_id"}

    officer = make_user("officer_a1", tree.township_a1, Role.TOWNSHIP_OFFICER)
    person = factories.person(officer, tree.township_a1)
    client = api(officer)
    device = client.post(
        f"{PREFIX}/devices",
        {"jurisdiction_id": tree.township_a1.pk, "kind": "phone", "protocol": "osmand"},
    ).json()
    answer = client.post(f"{PREFIX}/devices/{device['id']}/assign", {"person_id": person.pk})
    assert answer.status_code == 200, answer.content
    assert answer.json()["person_id"] == person.pk


def test_every_operation_documents_its_error_answers_in_the_error_shape():
    spec = _spec()
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "details"}
    missing = []
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        expected = {"500"}
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if operation.get("requestBody"):
            expected |= {"400", "413"}
        if operation.get("security"):
            expected |= {"401", "404"}
        for status in sorted(expected - set(map(str, responses))):
            missing.append(f"{method.upper()} {path} {status}")
        for status, answer in responses.items():
            if int(status) >= 400:
                schema = answer["content"]["application/json"]["schema"]
                if schema != {"$ref": "#/components/schemas/Error"}:
                    missing.append(f"{method.upper()} {path} {status} not the error shape")
    assert missing == []


def test_sign_in_documents_the_lockout():
    login = _spec()["paths"][f"{PREFIX}/auth/login"]["post"]["responses"]
    assert {"401", "422", "423"} <= set(map(str, login))


def test_the_device_and_sms_gateway_credentials_are_security_schemes():
    spec = _spec()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["DeviceCredential"]["type"] == "http"
    assert schemes["DeviceCredential"]["scheme"] == "device"
    assert schemes["SmsGatewayToken"] == {**schemes["SmsGatewayToken"], "type": "http", "scheme": "bearer"}
    assert spec["paths"][f"{PREFIX}/checkins/app"]["post"]["security"] == [{"DeviceCredential": []}]
    assert spec["paths"][f"{PREFIX}/notifications/sms/inbound"]["post"]["security"] == [
        {"SmsGatewayToken": []}
    ]
    # Staff credentials do not open them, and they open nothing else.
    for _method, path, operation in _operations(spec):
        names = {name for requirement in operation.get("security", []) for name in requirement}
        if names & {"DeviceCredential", "SmsGatewayToken"}:
            assert path in {f"{PREFIX}/checkins/app", f"{PREFIX}/notifications/sms/inbound"}, path


@pytest.mark.django_db
def test_the_app_check_in_without_a_device_credential_is_a_401_in_chinese(api):
    response = api(None).post(f"{PREFIX}/checkins/app", {"lat": 30.0, "lon": 120.0})
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated" and "设备标识" in body["message"]


@pytest.mark.django_db
def test_a_write_to_a_path_no_operation_matches_is_a_json_404_not_the_csrf_page():
    from django.test import Client

    for path in (f"{PREFIX}/jurisdictions/-5", f"{PREFIX}/persons/x/grants", f"{PREFIX}/no-such-thing"):
        response = Client(enforce_csrf_checks=True).patch(path, "{}", content_type="application/json")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_sign_in_documents_the_csrf_refusal_and_reads_document_a_refused_state():
    spec = _spec()
    assert "403" in map(str, spec["paths"][f"{PREFIX}/auth/login"]["post"]["responses"])
    compliance = spec["paths"][f"{PREFIX}/followups/compliance"]["get"]["responses"]
    assert "409" in map(str, compliance)
