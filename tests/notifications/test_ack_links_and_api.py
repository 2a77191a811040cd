"""Acknowledging from the phone, the inbox, deliveries, contact points and routing rules over the API."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Alert
from notifications import sender
from notifications.links import ack_token
from notifications.models import ContactPoint, Delivery
from tests.conftest import make_user
from tests.core.test_scoping import Case, run_trio

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(channels, subject):
    person, case = subject
    made, _ = raise_alert(kind="absconding", severity="critical", person=person, case=case)
    while sender.handle_batch():
        pass
    return made


def link_path(delivery: Delivery) -> str:
    return f"/ack/?t={ack_token(delivery)}"


def test_the_link_in_the_sms_acknowledges_the_alert_as_its_recipient_once(alert, sms_gateway, officers):
    (message,) = sms_gateway.sent.values()
    path = "/ack/?t=" + re.search(r"/ack/\?t=(\S+)$", message["text"]).group(1)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200 and "签收" in page.content.decode()
    assert Alert.objects.get(pk=alert.pk).state == "open"  # opening the link (a previewer) changes nothing
    token = page.cookies["csrftoken"].value
    done = browser.post(path, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "已签收" in done.content.decode()
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == officers.owner
    assert AuditEvent.objects.filter(action="alert.acknowledge_link", actor=officers.owner).count() == 1
    again = browser.post(path, {"csrfmiddlewaretoken": token})
    assert again.status_code == 409 and "已使用" in again.content.decode()


def test_a_forged_or_expired_link_is_refused_and_changes_nothing(alert, settings):
    delivery = Delivery.objects.get(alert=alert, channel="sms")
    forged = link_path(delivery)[:-3] + "abc"
    client = Client()
    assert client.post(forged).status_code == 422
    settings.ACK_LINK_HOURS = 1
    from django.core import signing

    old = signing.TimestampSigner(salt="anbang.notifications.ack")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("time.time", lambda: __import__("datetime").datetime.now().timestamp() - 7200)
        stale = old.sign(str(delivery.pk))
    response = client.post(f"/ack/?t={stale}")
    assert response.status_code == 422 and "过期" in response.content.decode()
    assert Alert.objects.get(pk=alert.pk).state == "open"


def test_the_inbox_lists_newest_first_counts_unread_and_marks_read(alert, officers, api, subject):
    person, case = subject
    raise_alert(kind="zone_exit", severity="high", person=person, case=case, subject="zone:9")
    sender.handle_batch()
    client = api(officers.owner)
    assert client.get("/api/v1/inbox/unread-count").json() == {"count": 2}
    items = client.get("/api/v1/inbox").json()["items"]
    assert next(i["title"] for i in items).endswith(f"离开允许区域（越界）（{case.number}）")
    assert client.post(f"/api/v1/inbox/{items[0]['id']}/read").json()["read_at"] is not None
    assert client.get("/api/v1/inbox?unread=true").json()["items"][0]["id"] == items[1]["id"]
    assert client.post("/api/v1/inbox/read", {}).json() == {"count": 1}
    assert client.get("/api/v1/inbox/unread-count").json() == {"count": 0}
    assert api(officers.colleague).post(f"/api/v1/inbox/{items[0]['id']}/read").status_code == 404


def test_a_delivery_shows_its_attempts_to_whoever_may_see_the_alert(alert, officers, api):
    delivery = Delivery.objects.get(alert=alert, channel="sms")
    case = Case("GET", lambda o: f"/api/v1/notifications/deliveries/{delivery.pk}")
    assert run_trio(officers, case, {}, api) == [200, 404, 404]
    detail = api(officers.owner).get(f"/api/v1/notifications/deliveries/{delivery.pk}").json()
    assert detail["state"] == "sent" and detail["attempt_log"][0]["outcome"] == "sent"
    listed = api(officers.owner).get(f"/api/v1/notifications/deliveries?alert_id={alert.pk}").json()["items"]
    assert {d["channel"] for d in listed} == {"inbox", "sms", "email"}
    assert (
        api(officers.outsider).get(f"/api/v1/notifications/deliveries?alert_id={alert.pk}").json()["items"]
        == []
    )


def test_failed_deliveries_are_listed_for_the_office(channels, mailbox, subject, officers, api):
    mailbox.refuse = "550 no"
    person, case = subject
    raise_alert(kind="sos", severity="critical", person=person, case=case)
    while sender.handle_batch():
        pass
    failed = api(officers.owner).get("/api/v1/notifications/deliveries?state=failed").json()["items"]
    assert [(d["channel"], d["last_error"]) for d in failed] == [("email", "smtp_550")]


def test_contact_points_are_masked_and_a_webhook_secret_is_shown_once(officers, api, tree):
    client = api(officers.owner)
    set_sms = client.request("PUT", "/api/v1/notifications/contact-points/sms", {"address": "138 0000 1234"})
    assert set_sms.status_code == 200 and set_sms.json()["address"] == "138****1234"
    assert (
        client.request("PUT", "/api/v1/notifications/contact-points/sms", {"address": "12345"}).status_code
        == 422
    )
    hook = client.request(
        "PUT", "/api/v1/notifications/contact-points/webhook", {"address": "https://duty.example.test/hook"}
    )
    secret = hook.json()["secret"]
    assert secret and ContactPoint.objects.get(channel="webhook").secret == secret
    again = client.request(
        "PUT", "/api/v1/notifications/contact-points/webhook", {"address": "https://duty.example.test/v2"}
    )
    assert again.json()["secret"] is None  # not shown again unless rotated
    listed = client.get("/api/v1/notifications/contact-points").json()
    assert {p["channel"] for p in listed} == {"sms", "webhook"} and "1234" in listed[0]["address"]
    # Another officer cannot set mine; an admin over my office can; an admin elsewhere cannot see me.
    other = f"/api/v1/notifications/contact-points/email?user_id={officers.owner.pk}"
    assert api(officers.colleague).request("PUT", other, {"address": "x@example.test"}).status_code == 404
    admin = make_user("admin_county", tree.county_a, Role.ADMIN)
    assert api(admin).request("PUT", other, {"address": "x@example.test"}).status_code == 200
    assert api(make_user("admin_b", tree.county_b, Role.ADMIN)).get(
        f"/api/v1/notifications/contact-points?user_id={officers.owner.pk}").status_code == 404  # fmt: skip
    assert client.delete("/api/v1/notifications/contact-points/email").status_code == 204
    assert client.delete("/api/v1/notifications/contact-points/email").status_code == 404


def test_routing_rules_are_for_admins_within_their_subtree(api, tree, officers):
    admin = make_user("admin_county", tree.county_a, Role.ADMIN)
    rule = {"jurisdiction_id": tree.county_a.pk, "name": "脱管通报", "kinds": ["absconding"],
            "role": "police_liaison", "channels": ["sms", "inbox"]}  # fmt: skip
    created = api(admin).post("/api/v1/notifications/routing-rules", rule)
    assert created.status_code == 201, created.json()
    assert (
        api(officers.owner).post("/api/v1/notifications/routing-rules", rule).status_code == 404
    )  # county not visible
    township_rule = {**rule, "jurisdiction_id": tree.township_a1.pk}
    assert api(officers.owner).post("/api/v1/notifications/routing-rules", township_rule).status_code == 403
    bad = api(admin).post("/api/v1/notifications/routing-rules", {**rule, "kinds": ["nonsense"]})
    assert bad.status_code == 422 and bad.json()["details"]["unknown"] == ["nonsense"]
    both = api(admin).post("/api/v1/notifications/routing-rules", {**rule, "user_id": admin.pk})
    assert both.status_code == 422
    rule_id = created.json()["id"]
    path = lambda o: f"/api/v1/notifications/routing-rules/{rule_id}"  # noqa: E731
    trio = type(officers)(
        admin,
        make_user("admin_a2", tree.township_a2, Role.ADMIN),
        make_user("admin_b", tree.county_b, Role.ADMIN),
    )
    assert run_trio(trio, Case("PUT", path, lambda o: {**rule, "name": "改名"}), {}, api) == [200, 404, 404]
    assert run_trio(trio, Case("DELETE", path, ok=204), {}, api) == [204, 404, 404]


@pytest.fixture
def replies(channels):
    channels.SMS_INBOUND_TOKEN, channels.SMS_REPLIES = "inbound-token", True
    return channels


def test_texting_the_code_back_from_the_recipients_number_acknowledges_the_alert(
    replies, sms_gateway, subject, officers, api
):
    person, case = subject
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    sender.handle_batch()
    (message,) = sms_gateway.sent.values()
    code = re.search(r"回复(\d{6})", message["text"]).group(1)
    gateway = api(None)
    inbound = "/api/v1/notifications/sms/inbound"
    token = {"Authorization": "Bearer inbound-token"}
    assert gateway.post(inbound, {"from": "13800000001", "text": code}).status_code == 401  # no token
    wrong_number = gateway.post(inbound, {"from": "13999999999", "text": code}, **token)
    assert wrong_number.status_code == 422 and Alert.objects.get(pk=alert.pk).state == "open"
    done = gateway.post(inbound, {"from": "+8613800000001", "text": f" {code} "}, **token)
    assert done.status_code == 200 and done.json() == {"alert_id": alert.pk, "state": "acknowledged"}
    assert AuditEvent.objects.filter(action="alert.acknowledge_sms_reply", actor=officers.owner).exists()
    assert gateway.post(inbound, {"from": "13800000001", "text": code}, **token).status_code == 409  # once


def test_without_replies_set_up_an_sms_carries_no_reply_code(alert, sms_gateway):
    (message,) = sms_gateway.sent.values()
    assert "回复" not in message["text"]
    assert Delivery.objects.get(alert=alert, channel="sms").reply_code == ""
