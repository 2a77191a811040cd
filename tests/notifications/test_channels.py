"""Each channel against a real server on loopback that checks what the real provider checks."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from backend.monitoring.actions.alerts import raise_alert
from notifications import sender
from notifications.channels.sms import aliyun
from notifications.channels.webhook import signing
from notifications.models import Delivery, InboxMessage
from tests.notifications.conftest import reachable
from tests.support.providers import AliyunSmsServer, WebhookReceiver

pytestmark = pytest.mark.django_db


def send_all() -> None:
    while sender.handle_batch():
        pass


def states(alert) -> dict[str, str]:
    return dict(Delivery.objects.filter(alert=alert).values_list("channel", "state"))


def test_an_sms_carries_case_number_kind_time_and_link_but_never_the_name_or_id_number(
    channels, sms_gateway, subject
):
    person, case = subject
    alert, _ = raise_alert(kind="absconding", severity="critical", person=person, case=case)
    send_all()
    assert states(alert)["sms"] == "sent"
    (message,) = sms_gateway.sent.values()
    assert message["to"] == "13800000001"
    assert case.number in message["text"] and "疑似脱管" in message["text"] and "/ack/" in message["text"]
    assert "王五" not in message["text"] and person.id_number not in message["text"]


def test_an_email_arrives_over_smtp_with_the_delivery_key_as_its_message_id(channels, mailbox, subject):
    person, case = subject
    alert, _ = raise_alert(kind="tamper", severity="critical", person=person, case=case)
    send_all()
    (mail,) = mailbox.messages
    delivery = Delivery.objects.get(alert=alert, channel="email")
    assert mail["To"] == "owner@example.test" and mail["Message-ID"] == f"<{delivery.idempotency_key}@anbang>"
    body = mail.get_body().get_content()
    assert case.number in body and "设备拆除" in mail["Subject"] and "王五" not in body + mail["Subject"]


def test_the_aliyun_signature_matches_the_providers_published_example():
    params = {
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
    }  # fmt: skip
    assert aliyun.sign("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


@pytest.fixture
def aliyun_server(channels):
    server = AliyunSmsServer().start()
    channels.SMS_PROVIDER, channels.SMS_URL = "aliyun", server.url
    channels.SMS_ACCESS_KEY_ID, channels.SMS_ACCESS_KEY_SECRET = server.key_id, server.secret
    channels.SMS_SIGN_NAME, channels.SMS_TEMPLATE_CODE = "安帮", "SMS_000001"
    yield server
    server.stop()


def test_aliyun_sendsms_is_accepted_by_a_server_that_checks_its_signature(aliyun_server, subject):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    send_all()
    delivery = Delivery.objects.get(alert=alert, channel="sms")
    assert delivery.state == "sent" and delivery.provider_id.startswith("9006")
    (request,) = aliyun_server.accepted
    assert request["PhoneNumbers"] == "13800000001" and request["OutId"] == delivery.idempotency_key
    template = json.loads(request["TemplateParam"])
    assert template["case"] == case.number and template["kind"] == "紧急求助" and "/ack/" in template["link"]


def test_a_wrong_aliyun_secret_is_refused_and_the_sms_fails_without_retrying(
    aliyun_server, channels, subject
):
    channels.SMS_ACCESS_KEY_SECRET = "not-the-secret"
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    send_all()
    delivery = Delivery.objects.get(alert=alert, channel="sms")
    assert delivery.state == "failed" and delivery.attempts == 1
    assert delivery.last_error == "aliyun:http_400"
    assert aliyun_server.accepted == []


def test_a_webhook_is_signed_so_its_receiver_accepts_it_and_refuses_a_replay(channels, subject, officers):
    receiver = WebhookReceiver().start()
    channels.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # loopback is refused unless listed (SSRF)
    try:
        secret = reachable(officers.owner, webhook=receiver)
        person, case = subject
        alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
        send_all()
        delivery = Delivery.objects.get(alert=alert, channel="webhook")
        assert delivery.state == "sent"
        payload = receiver.processed[delivery.idempotency_key]
        assert payload["alert"]["case_number"] == case.number and "王五" not in json.dumps(
            payload, ensure_ascii=False
        )
        # A captured request sent again ten minutes later is refused by the receiver.
        body = json.dumps(payload).encode()
        stale = signing.headers(secret, body, delivery.idempotency_key, timestamp=int(time.time()) - 600)
        request = urllib.request.Request(receiver.url, data=body, headers=stale, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401 and receiver.refused["stale"] == 1
        tampered = signing.headers(secret, body, "x") | {"X-Anbang-Signature": "v1=" + "0" * 64}
        assert not signing.verify(secret, body, tampered, tolerance_s=300)
        assert signing.verify(secret, body, signing.headers(secret, body, "x"), tolerance_s=300)
    finally:
        receiver.stop()


def test_the_inbox_gets_one_message_per_delivery_even_when_sent_twice(channels, subject, officers):
    person, case = subject
    alert, _ = raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:3")
    send_all()
    delivery = Delivery.objects.get(alert=alert, channel="inbox")
    from notifications.channels.inbox import transport

    transport.send(delivery, sender._render(delivery), None)  # a resend after a crash
    (message,) = InboxMessage.objects.filter(recipient=officers.owner)
    assert message.alert == alert and case.number in message.body and message.read_at is None
