"""Signing in tells nobody whether a username exists: an unknown username gets, attempt by attempt, the
answers a wrong password gets — the tries left, the lock, the refusal while locked — and costs the same
password hash."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.utils import timezone

from backend.core.actions.accounts import forget_idle_unknown_sign_ins
from backend.core.models import AuditEvent, UnknownSignIn
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

# Wrong four times, the fifth locks, a sixth is refused, and the right password is refused while locked.
ATTEMPTS = ["wrong password"] * 6 + [PASSWORD]


def api_answers(username: str) -> list[tuple[int, str, dict]]:
    client = Client(enforce_csrf_checks=True)
    csrf = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    answers = []
    for password in ATTEMPTS:
        response = client.post(
            "/api/v1/auth/login",
            {"username": username, "password": password},
            content_type="application/json",
            headers={"X-CSRFToken": csrf},
        )
        answers.append((response.status_code, response["Content-Type"], masked(response.json())))
    return answers


def masked(body: dict) -> dict:
    """The lock's end differs by the moments the two runs took; everything else must not."""
    details = dict(body["details"])
    if "locked_until" in details:
        details["locked_until"] = "<time>"
    return {**body, "message": re.sub(r"\d\d:\d\d", "<hh:mm>", body["message"]), "details": details}


def page_answers(username: str) -> list[tuple[int, str]]:
    client = Client()
    answers = []
    for password in ATTEMPTS:
        response = client.post("/login/", {"username": username, "password": password})
        page = response.content.decode()
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        answers.append((response.status_code, re.sub(r"\d\d:\d\d", "<hh:mm>", page)))
    return answers


def test_an_unknown_username_gets_exactly_the_answers_a_wrong_password_gets(tree):
    make_user("officer", tree.township_a1)
    known, unknown = api_answers("officer"), api_answers("nobody")
    assert known == unknown
    assert [status for status, _, _ in known] == [401, 401, 401, 401, 423, 423, 423]
    assert known[0][2] == {
        "code": "unauthenticated",
        "message": "用户名或密码错误",
        "details": {"attempts_left": 4},
    }


def test_the_sign_in_page_gives_an_unknown_username_the_same_page_as_a_wrong_password(tree):
    make_user("officer", tree.township_a1)
    known, unknown = page_answers("officer"), page_answers("nobody")
    assert known == unknown
    assert "再错 4 次账户将被锁定 15 分钟" in known[0][1]
    assert "账户已锁定" in known[4][1] and "账户已锁定" in known[-1][1]


def test_an_unknown_username_is_locked_and_audited_like_a_real_one_without_its_name(tree):
    make_user("officer", tree.township_a1)
    api_answers("officer")
    api_answers("nobody-at-all")
    known = list(AuditEvent.objects.filter(target_type="core.user").values_list("action", flat=True))
    unknown = list(
        AuditEvent.objects.filter(details__reason="unknown_user")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert unknown == [a for a in known if a.startswith("auth.")]
    assert unknown.count("auth.locked") == 1 and unknown.count("auth.login_refused_locked") == 2
    rows = AuditEvent.objects.filter(details__reason="unknown_user").values_list("details", flat=True)
    assert all("nobody" not in str(details) for details in rows)


class CountingHasher(MD5PasswordHasher):
    """Django's MD5 hasher (the suite's), counting how many hashes a sign-in computes."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


def test_an_unknown_username_costs_the_same_password_hash_as_a_wrong_password(tree, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    make_user("officer", tree.township_a1)
    cost = {}
    for username in ("officer", "nobody"):
        CountingHasher.calls = 0
        api_answers(username)
        cost[username] = CountingHasher.calls
    # Four wrong passwords and the fifth are each hashed once; while locked nothing is hashed.
    assert cost == {"officer": 5, "nobody": 5}


def test_the_nightly_job_forgets_unknown_usernames_whose_lock_is_over_and_keeps_those_still_counting(tree):
    now = timezone.now()
    UnknownSignIn.objects.create(
        username_digest="a" * 64, failed_logins=0, locked_until=now - dt.timedelta(minutes=1)
    )
    UnknownSignIn.objects.create(
        username_digest="b" * 64, failed_logins=0, locked_until=now + dt.timedelta(minutes=1)
    )
    UnknownSignIn.objects.create(username_digest="c" * 64, failed_logins=3)
    assert forget_idle_unknown_sign_ins(now) == 1
    assert sorted(d[0] for d in UnknownSignIn.objects.values_list("username_digest")) == ["b" * 64, "c" * 64]
