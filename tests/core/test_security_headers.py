"""Response headers every page and API answer carries: a Content-Security-Policy without inline script or
style, ``Cache-Control: no-store`` on everything that is not a static file, and the OpenAPI document only
for signed-in staff or a token.  The browser side (no violation, maps and the API docs still work) is
tests/console/test_content_security_policy.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD
from tests.console import world as w

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "backend", ROOT / "notifications"]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def console_urls(world) -> list[str]:
    alert = w.open_alert(world)
    return [
        "/",
        "/console/alerts/",
        f"/console/alerts/{alert.pk}/",
        "/console/people/",
        f"/console/people/{world.person.pk}/",
        "/console/approvals/",
        "/console/devices/",
        "/console/devices/new",
        "/console/reports/",
        "/console/people/999999/",  # the 404 page
    ]


def test_every_console_page_has_a_strict_content_security_policy(tree, officers):
    world = w.build(tree, officers)
    client = signed_in(officers.owner)
    for url in console_urls(world):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"], url
        assert policy["default-src"] == ["'self'"], url


def test_sign_in_ack_api_and_error_answers_carry_the_policy_too():
    client = Client()
    for url in ("/login/", "/ack/", "/api/v1/health", "/api/v1/persons", "/api/nothing-here"):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url


def test_pages_and_api_answers_are_never_stored_by_a_browser_or_proxy(tree, officers, api):
    world = w.build(tree, officers)
    client = signed_in(officers.owner)
    for url in console_urls(world):
        assert client.get(url)["Cache-Control"] == "no-store", url
    token = api(officers.owner)
    for url in (f"/api/v1/persons/{world.person.pk}", "/api/v1/alerts", "/api/v1/auth/me"):
        response = token.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "no-store", url
    for url in ("/login/", "/ack/?t=forged", "/api/v1/persons"):
        assert Client().get(url)["Cache-Control"] == "no-store", url


def test_static_files_keep_their_cache_headers():
    response = Client().get(f"{settings.STATIC_URL}console/console.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]


def test_the_configured_tile_server_is_the_only_other_image_source(settings, tree, officers):
    assert directives(Client().get("/login/"))["img-src"] == ["'self'", "data:"]
    settings.CONSOLE_TILE_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    policy = directives(signed_in(officers.owner).get("/console/people/"))
    assert policy["img-src"] == ["'self'", "data:", "https://*.is.autonavi.com"]
    assert policy["connect-src"] == ["'self'"]
    settings.CONSOLE_TILE_URL = "http://tiles.county.example:8080/{z}/{x}/{y}.png"
    policy = directives(signed_in(officers.owner).get("/console/people/"))
    assert policy["img-src"] == ["'self'", "data:", "http://tiles.county.example:8080"]
    settings.CONSOLE_TILE_URL = "/tiles/{z}/{x}/{y}.png"  # served by the same host
    assert directives(Client().get("/login/"))["img-src"] == ["'self'", "data:"]
    settings.CONSOLE_TILE_URL = "https://a.{s}.example/{z}/{x}/{y}.png"  # not expressible: no tiles
    from backend.core.middleware import content_security_policy

    assert content_security_policy().count("img-src 'self' data:;") == 1


def test_no_template_has_inline_script_style_or_event_handlers():
    """What the policy refuses must not be in our markup: the browser would drop it silently."""
    offenders = []
    for base in TEMPLATE_DIRS:
        for path in base.rglob("templates/**/*.html"):
            text = path.read_text(encoding="utf-8")
            for pattern in (r"\sstyle\s*=", r"<style", r"<script(?![^>]*\ssrc=)(?![^>]*application/json)",
                            r"\son[a-z]+\s*=", r"javascript:"):  # fmt: skip
                if re.search(pattern, text, re.IGNORECASE):
                    offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_the_openapi_document_needs_a_session_or_a_token(tree, officers, api):
    anonymous = Client().get("/api/v1/openapi.json")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthenticated" and "登录" in anonymous.json()["message"]
    assert api(officers.owner).get("/api/v1/openapi.json").status_code == 200
    bad_token = Client().get("/api/v1/openapi.json", headers={"Authorization": "Bearer ab_x_y"})
    assert bad_token.status_code == 401
    client = Client()
    client.post("/login/", {"username": "owner", "password": PASSWORD})
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and "/api/v1/persons" in spec.json()["paths"]
    assert spec["Cache-Control"] == "no-store"
