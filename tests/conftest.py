"""Shared fixtures: the permission trio, API clients, and the two bits of test plumbing the
append-only audit table and the keyring cache need."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client

from backend.core.actions.accounts import create_token
from backend.core.actions.directory import create_user
from backend.core.audit_guard import install_guards, remove_guards
from backend.core.crypto.keyring import reset_keyring_cache
from backend.core.models import Jurisdiction, Role, User
from backend.core.rules import rules

PASSWORD = "correct horse battery staple 9"


@pytest.fixture(autouse=True)
def _fresh_keyring():
    # Each test starts from its own database state; a keyring cached from a rolled-back test would
    # hold a data key whose row no longer exists.
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture(autouse=True)
def _audit_guards(request):
    """Keep core_auditevent append-only during every test, and let the runner flush it afterwards.

    Django empties tables between transactional tests (DELETE on SQLite, TRUNCATE on PostgreSQL),
    which the triggers rightly refuse; they are dropped just before that flush and restored at the
    start of the next test.
    """
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in names for name in ("transactional_db", "live_server")
    )
    if not (marker or "db" in names or transactional):
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    install_guards(connection)
    yield
    if transactional:
        remove_guards(connection)


def make_node(code: str, name: str, level: str, parent: Jurisdiction | None) -> Jurisdiction:
    node = Jurisdiction(code=code, name=name, level=level, parent=parent)
    node.save()
    return node


@dataclass
class Tree:
    province: Jurisdiction
    county_a: Jurisdiction
    township_a1: Jurisdiction
    township_a2: Jurisdiction
    grid_a1: Jurisdiction
    county_b: Jurisdiction
    township_b1: Jurisdiction


@pytest.fixture
def tree(db) -> Tree:
    L = Jurisdiction.Level
    province = make_node("980000000000", "测试省", L.PROVINCE, None)
    city = make_node("980100000000", "测试市", L.CITY, province)
    county_a = make_node("980101000000", "甲县", L.COUNTY, city)
    a1 = make_node("980101001000", "甲一司法所", L.TOWNSHIP, county_a)
    a2 = make_node("980101002000", "甲二司法所", L.TOWNSHIP, county_a)
    grid = make_node("980101001001", "甲一社区", L.GRID, a1)
    county_b = make_node("980102000000", "乙县", L.COUNTY, city)
    b1 = make_node("980102001000", "乙一司法所", L.TOWNSHIP, county_b)
    return Tree(province, county_a, a1, a2, grid, county_b, b1)


def make_user(username: str, jurisdiction: Jurisdiction, *roles: str, **extra) -> User:
    return create_user(
        by=None,
        username=username,
        password=PASSWORD,
        display_name=f"测试{username}",
        jurisdiction=jurisdiction,
        roles=list(roles) or [Role.TOWNSHIP_OFFICER],
        **extra,
    )


@dataclass
class Trio:
    """The same three people in every permission test (docs/security.md, "Scoping")."""

    owner: User  # officer of the 司法所 that holds the record
    colleague: User  # officer of another 司法所 in the same county
    outsider: User  # officer in another county


@pytest.fixture
def officers(tree) -> Trio:
    return Trio(
        owner=make_user("owner", tree.township_a1, Role.TOWNSHIP_OFFICER),
        colleague=make_user("colleague", tree.township_a2, Role.TOWNSHIP_OFFICER),
        outsider=make_user("outsider", tree.township_b1, Role.TOWNSHIP_OFFICER),
    )


@pytest.fixture
def admins(tree) -> Trio:
    return Trio(
        owner=make_user("admin_a1", tree.township_a1, Role.ADMIN),
        colleague=make_user("admin_a2", tree.township_a2, Role.ADMIN),
        outsider=make_user("admin_b1", tree.township_b1, Role.ADMIN),
    )


class ApiClient:
    """A Django test client that talks JSON with a bearer token."""

    def __init__(self, user: User | None):
        self.client = Client()
        self.headers = {}
        if user is not None:
            self.headers["Authorization"] = f"Bearer {create_token(user=user, name='测试').plaintext}"

    def request(self, method: str, path: str, body=None, **headers):
        kwargs = {"headers": {**self.headers, **headers}}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path: str, **headers):
        return self.request("GET", path, **headers)

    def post(self, path: str, body=None, **headers):
        return self.request("POST", path, body, **headers)

    def patch(self, path: str, body=None, **headers):
        return self.request("PATCH", path, body, **headers)

    def delete(self, path: str, **headers):
        return self.request("DELETE", path, **headers)


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def province_rules(tmp_path, monkeypatch):
    """A province's rule file (ANBANG_RULES_FILE), applied for the rest of the test."""

    def apply(**values) -> None:
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(values), encoding="utf-8")
        monkeypatch.setenv("ANBANG_RULES_FILE", str(path))
        rules.cache_clear()

    yield apply
    monkeypatch.delenv("ANBANG_RULES_FILE", raising=False)
    rules.cache_clear()
