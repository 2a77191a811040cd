"""Fixtures for the notification tests: real loopback providers and people who can be reached."""

from __future__ import annotations

import pytest

from backend.core.models import Role
from notifications.actions import set_contact_point
from tests.conftest import make_user
from tests.people import factories
from tests.support.processes import free_port
from tests.support.providers import JsonSmsGateway, Mailbox, WebhookReceiver


@pytest.fixture
def sms_gateway():
    server = JsonSmsGateway().start()
    yield server
    server.stop()


@pytest.fixture
def mailbox():
    box = Mailbox().start(free_port())
    yield box
    box.stop()


@pytest.fixture
def channels(settings, sms_gateway, mailbox):
    """SMS through the JSON gateway and e-mail through aiosmtpd, with retries fast enough for a test."""
    settings.SMS_PROVIDER, settings.SMS_URL, settings.SMS_TOKEN = "json", sms_gateway.url, sms_gateway.token
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mailbox.controller.port
    settings.NOTIFY_RETRY_BASE_MS, settings.NOTIFY_RETRY_MAX_MS = 1, 20
    settings.NOTIFY_HTTP_TIMEOUT_S = 1
    return settings


def reachable(user, *, webhook: WebhookReceiver | None = None, mobile: str = "13800000001") -> str | None:
    """Give ``user`` an SMS number and a mailbox (and a webhook); returns the webhook secret."""
    set_contact_point(by=user, user=user, channel="sms", address=mobile)
    set_contact_point(by=user, user=user, channel="email", address=f"{user.username}@example.test")
    if webhook is None:
        return None
    _, secret = set_contact_point(by=user, user=user, channel="webhook", address=webhook.url)
    webhook.secrets.add(secret)
    return secret


@pytest.fixture
def supervisor(tree):
    """The supervisor of county 甲, one level above the owner's 司法所."""
    user = make_user("supervisor_a", tree.county_a, Role.SUPERVISOR)
    reachable(user, mobile="13800000009")
    return user


@pytest.fixture
def subject(tree, officers):
    reachable(officers.owner)
    person = factories.person(officers.owner, tree.township_a1, name="测试王五")
    return person, factories.correction(officers.owner, person)
