from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.middleware import IdleSessionTimeoutMiddleware
from backend.core.models import AuditEvent, User
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def session_client() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    return client, token


def login(client: Client, csrf: str, username: str, password: str):
    return client.post(
        "/api/v1/auth/login",
        {"username": username, "password": password},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )


def test_login_with_the_right_password_starts_a_session(tree):
    make_user("officer", tree.township_a1)
    client, csrf = session_client()
    response = login(client, csrf, "officer", PASSWORD)
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "officer"
    assert client.get("/api/v1/auth/me").json()["jurisdiction"]["name"] == "甲一司法所"
    assert AuditEvent.objects.filter(action="auth.login").count() == 1


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(tree):
    make_user("officer", tree.township_a1)
    client, csrf = session_client()
    for attempt in range(1, 5):
        response = login(client, csrf, "officer", "wrong password")
        assert response.status_code == 401
        assert response.json() == {
            "code": "unauthenticated",
            "message": "用户名或密码错误",
            "details": {"attempts_left": 5 - attempt},
        }
    fifth = login(client, csrf, "officer", "wrong password")
    assert fifth.status_code == 423
    assert fifth.json()["message"] == "连续 5 次密码错误，账户已锁定 15 分钟"
    # Even the right password is refused while locked, with the time it opens again.
    locked = login(client, csrf, "officer", PASSWORD)
    assert locked.status_code == 423
    until = timezone.localtime(User.objects.get(username="officer").locked_until)
    assert locked.json()["message"] == f"账户已锁定，请于 {until:%H:%M} 后重试"
    assert dt.timedelta(minutes=14) < until - timezone.now() <= dt.timedelta(minutes=15)
    assert AuditEvent.objects.filter(action="auth.locked").count() == 1


def test_the_lock_opens_after_its_time_and_resets_the_count(tree):
    make_user("officer", tree.township_a1)
    client, csrf = session_client()
    for _ in range(5):
        login(client, csrf, "officer", "wrong password")
    User.objects.filter(username="officer").update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert login(client, csrf, "officer", PASSWORD).status_code == 200
    assert User.objects.get(username="officer").failed_logins == 0


def test_unknown_username_gets_the_same_answer_as_a_wrong_password(tree):
    client, csrf = session_client()
    response = login(client, csrf, "nobody", "wrong password")
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误"


def test_login_without_the_csrf_token_is_refused(tree):
    make_user("officer", tree.township_a1)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/auth/login", {"username": "officer", "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_session_writes_need_the_csrf_token(tree, admins):
    client, csrf = session_client()
    assert login(client, csrf, "admin_a1", PASSWORD).status_code == 200
    csrf = client.cookies["csrftoken"].value
    body = {"parent_id": tree.township_a1.pk, "code": "980101001009", "name": "新社区", "level": "grid"}
    refused = client.post("/api/v1/jurisdictions", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    accepted = client.post(
        "/api/v1/jurisdictions", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201


def test_an_idle_session_expires(tree, settings):
    make_user("officer", tree.township_a1)
    client, csrf = session_client()
    login(client, csrf, "officer", PASSWORD)
    assert client.get("/api/v1/auth/me").status_code == 200
    session = client.session
    session[IdleSessionTimeoutMiddleware.SESSION_KEY] = time.time() - settings.SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json() == {"code": "session_expired", "message": "会话已超时，请重新登录", "details": {}}
    assert client.get("/api/v1/auth/me").json()["code"] == "unauthenticated"
    assert AuditEvent.objects.filter(action="auth.session_expired").count() == 1


def test_logout_ends_the_session(tree):
    make_user("officer", tree.township_a1)
    client, csrf = session_client()
    login(client, csrf, "officer", PASSWORD)
    csrf = client.cookies["csrftoken"].value
    assert client.post("/api/v1/auth/logout", headers={"X-CSRFToken": csrf}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_the_sign_in_page_shows_the_lockout_in_chinese(tree):
    make_user("officer", tree.township_a1)
    client = Client()
    for _ in range(5):
        response = client.post("/login/", {"username": "officer", "password": "wrong password"})
    assert response.status_code == 401
    assert "账户已锁定 15 分钟" in response.content.decode()
    assert client.post("/login/", {"username": "officer", "password": PASSWORD}).status_code == 401


def test_an_admin_can_unlock_a_locked_account(tree, admins, api):
    target = make_user("officer", tree.township_a1)
    User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=10))
    response = api(admins.owner).post(f"/api/v1/users/{target.pk}/unlock")
    assert response.status_code == 200 and response.json()["locked_until"] is None


def test_the_signed_in_user_comes_with_their_home_and_a_deactivated_one_does_not_come_at_all(
    officers, django_assert_num_queries
):
    from backend.core.auth_backend import StaffBackend

    officer = officers.owner

    user = StaffBackend().get_user(officer.pk)
    with django_assert_num_queries(0):
        assert user.jurisdiction.path == officer.jurisdiction.path  # every scope starts from it
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert StaffBackend().get_user(officer.pk) is None
    assert StaffBackend().get_user(999_999) is None
