from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from backend.core.actions.accounts import create_token, token_digest
from backend.core.models import ApiToken, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def bearer(token: str):
    return Client().get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(tree, api):
    officer = make_user("officer", tree.township_a1)
    client = api(officer)
    created = client.post("/api/v1/tokens", {"name": "脚本", "days": 30})
    assert created.status_code == 201
    plaintext = created.json()["token"]
    assert plaintext.startswith("ab_")
    row = ApiToken.objects.get(pk=created.json()["id"])
    assert row.digest == token_digest(plaintext) and plaintext not in row.digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_apitoken")
        assert not any(plaintext in str(value) for record in cursor.fetchall() for value in record)
    listed = client.get("/api/v1/tokens").json()["items"]
    assert {item["id"] for item in listed} >= {row.pk} and all("token" not in item for item in listed)
    assert bearer(plaintext).json()["username"] == "officer"


def test_a_token_with_one_wrong_character_is_refused(tree):
    plaintext = create_token(user=make_user("officer", tree.township_a1), name="t").plaintext
    forged = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    assert bearer(forged).status_code == 401
    assert bearer("ab_nothing").status_code == 401


def test_an_expired_token_is_refused(tree):
    issued = create_token(user=make_user("officer", tree.township_a1), name="t", days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(issued.plaintext)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_a_revoked_token_is_refused_and_revoking_twice_is_harmless(tree, api):
    officer = make_user("officer", tree.township_a1)
    issued = create_token(user=officer, name="t")
    client = api(officer)
    assert client.delete(f"/api/v1/tokens/{issued.token.pk}").json()["revoked_at"] is not None
    assert client.delete(f"/api/v1/tokens/{issued.token.pk}").status_code == 200
    assert bearer(issued.plaintext).status_code == 401


def test_a_deactivated_users_token_stops_working(tree):
    officer = make_user("officer", tree.township_a1)
    issued = create_token(user=officer, name="t")
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert bearer(issued.plaintext).status_code == 401


def test_token_lifetime_is_bounded(tree, api, settings):
    officer = make_user("officer", tree.township_a1)
    response = api(officer).post("/api/v1/tokens", {"name": "太久", "days": settings.API_TOKEN_MAX_DAYS + 1})
    assert response.status_code == 422 and "有效期" in response.json()["message"]


def test_create_token_command_prints_a_working_token(tree):
    make_user("officer", tree.township_a1)
    out = io.StringIO()
    call_command("create_token", "officer", "--days", "7", stdout=out, stderr=io.StringIO())
    assert bearer(out.getvalue().strip()).json()["username"] == "officer"


def test_create_token_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="没有名为 ghost 的有效用户"):
        call_command("create_token", "ghost")
