from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), "message should be Chinese"
    return body


def test_malformed_json_is_a_400_with_the_error_shape(tree, admins, api):
    response = api(admins.owner).post("/api/v1/jurisdictions", '{"parent_id": 1,')
    assert_error_shape(response, 400, "malformed_json")


def test_wrong_types_are_a_422_naming_each_field(tree, admins, api):
    response = api(admins.owner).post(
        "/api/v1/jurisdictions", {"parent_id": "one", "code": "12", "name": "", "level": "planet"}
    )
    body = assert_error_shape(response, 422, "validation_error")
    by_field = {tuple(f["loc"]): f["message"] for f in body["details"]["fields"]}
    assert by_field[("body", "parent_id")] == "应为整数"
    assert by_field[("body", "code")] == "格式不正确"
    assert by_field[("body", "name")] == "长度不足"
    assert by_field[("body", "level")] == "取值不在允许范围内"


def test_a_missing_field_is_named(tree, admins, api):
    body = assert_error_shape(
        api(admins.owner).post("/api/v1/users", {"username": "x1x"}), 422, "validation_error"
    )
    assert ["body", "password"] in [f["loc"] for f in body["details"]["fields"]]


def test_an_oversized_body_is_refused_before_it_is_read(tree, admins, api, settings):
    huge = '{"name": "' + "x" * (settings.MAX_BODY_BYTES + 10) + '"}'
    body = assert_error_shape(api(admins.owner).post("/api/v1/tokens", huge), 413, "payload_too_large")
    assert body["details"]["limit"] == settings.MAX_BODY_BYTES


def test_missing_credentials_are_a_401(db):
    assert_error_shape(Client().get("/api/v1/jurisdictions"), 401, "unauthenticated")


def test_a_non_admin_on_an_admin_endpoint_is_a_403(tree, officers, api):
    assert_error_shape(api(officers.owner).get("/api/v1/users"), 403, "forbidden")


def test_an_unknown_path_under_the_api_is_a_json_404(db):
    assert_error_shape(Client().get("/api/v1/no-such-thing"), 404, "not_found")


def test_a_bad_cursor_is_a_422(tree, officers, api):
    assert_error_shape(api(officers.owner).get("/api/v1/jurisdictions?cursor=%%%"), 422, "validation_error")


def test_a_duplicate_username_is_a_409(tree, admins, api):
    make_user("taken", tree.township_a1)
    body = {
        "username": "taken",
        "password": "a long enough password 1",
        "display_name": "重名",
        "jurisdiction_id": tree.township_a1.pk,
        "roles": ["township_officer"],
    }
    assert_error_shape(api(admins.owner).post("/api/v1/users", body), 409, "conflict")


def test_a_weak_password_is_refused_with_reasons(tree, admins, api):
    body = {
        "username": "newbie",
        "password": "12345",
        "display_name": "新人",
        "jurisdiction_id": tree.township_a1.pk,
        "roles": ["township_officer"],
    }
    response = assert_error_shape(api(admins.owner).post("/api/v1/users", body), 422, "validation_error")
    assert response["message"] == "密码不符合要求" and response["details"]["errors"]


def test_an_unexpected_error_is_a_500_that_hides_the_internals(tree, officers, api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr("backend.core.api.directory.paginate", boom)
    response = api(officers.owner).get("/api/v1/jurisdictions", **{"X-Request-ID": "req-test-0001"})
    body = assert_error_shape(response, 500, "server_error")
    assert "internal detail" not in response.content.decode()
    assert body["details"]["request_id"] == response["X-Request-ID"] == "req-test-0001"
