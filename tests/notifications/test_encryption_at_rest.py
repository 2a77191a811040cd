"""Contact points, webhook secrets and inbox messages are ciphertext in the database file and in a dump."""

from __future__ import annotations

import pytest

from backend.monitoring.actions.alerts import raise_alert
from notifications import sender
from notifications.models import InboxMessage
from tests.core.test_encryption_at_rest import database_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_addresses_secrets_and_inbox_text_are_not_in_the_database_bytes(officers, api, tree):
    from tests.people import factories

    client = api(officers.owner)
    client.request("PUT", "/api/v1/notifications/contact-points/sms", {"address": "13912345678"})
    client.request(
        "PUT", "/api/v1/notifications/contact-points/email", {"address": "hidden.box.4417@example.test"}
    )
    hook = client.request("PUT", "/api/v1/notifications/contact-points/webhook",
                          {"address": "https://duty.example.test/hook-path-5521"})  # fmt: skip
    secret = hook.json()["secret"]
    person = factories.person(officers.owner, tree.township_a1)
    alert, _ = raise_alert(
        kind="sos", severity="critical", person=person, case=factories.correction(officers.owner, person)
    )
    sender.handle_batch()
    body = InboxMessage.objects.get(alert=alert).body
    raw = database_bytes()
    assert b"notifications_contactpoint" in raw or b"contactpoint" in raw.lower(), (
        "must read the right database"
    )
    for plain in ("13912345678", "hidden.box.4417@example.test", "hook-path-5521", secret, body):
        assert plain.encode() not in raw, f"{plain[:12]!r}… found in plaintext"
