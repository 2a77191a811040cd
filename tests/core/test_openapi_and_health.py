from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_health_answers_without_credentials():
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_the_openapi_document_lists_the_endpoints_and_both_auth_schemes(officers, api):
    spec = api(officers.owner).get("/api/v1/openapi.json").json()  # for staff only (test_security_headers)
    for path in (
        "/api/v1/auth/login",
        "/api/v1/auth/me",
        "/api/v1/jurisdictions",
        "/api/v1/users",
        "/api/v1/tokens",
    ):
        assert path in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}


def test_interactive_docs_are_for_signed_in_staff(tree):
    anonymous = Client().get("/api/v1/docs")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    make_user("officer", tree.township_a1)
    client = Client()
    client.post("/login/", {"username": "officer", "password": PASSWORD})
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_every_response_carries_a_request_id():
    response = Client().get("/api/v1/health")
    assert len(response["X-Request-ID"]) >= 8
