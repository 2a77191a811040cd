"""The notice port (backend/core/notices.py): a decision told to the staff it concerns reaches their inbox,
and their mailbox where e-mail is set up; notifications registers the sender when ready, and with none
registered a notice raises so the decision it belongs to rolls back."""

from __future__ import annotations

import pytest
from django.db import transaction

from backend.core import notices
from backend.core.models import Role
from notifications import notices as notification_notices
from notifications import sender
from notifications.actions import set_contact_point
from notifications.models import Delivery, DeliveryState, InboxMessage
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def send_all() -> None:
    while sender.handle_batch():
        pass


def test_notifications_registers_the_notice_sender_once_it_is_ready():
    assert notices._sender is notification_notices.notify_staff


def test_a_notice_reaches_the_inbox_with_its_title_text_and_link(officers):
    queued = notices.notify_staff(
        [officers.owner],
        title="电子定位未获批准",
        text="第 7 号电子定位不予批准：理由不足",
        link="/console/people/1/",
    )
    assert queued == 1
    send_all()
    (message,) = InboxMessage.objects.filter(recipient=officers.owner)
    assert message.title == "[安帮] 电子定位未获批准" and message.alert_id is None
    assert "理由不足" in message.body and "/console/people/1/" in message.body
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_a_notice_goes_by_email_too_where_email_is_set_up_and_the_recipient_has_a_mailbox(
    channels, mailbox, officers
):
    set_contact_point(by=officers.owner, user=officers.owner, channel="email", address="owner@example.test")
    assert (
        notices.notify_staff(
            [officers.owner, officers.colleague], title="提案已过期", text="未在起始日前决定"
        )
        == 3
    )
    send_all()
    (mail,) = mailbox.messages
    assert mail["To"] == "owner@example.test" and "提案已过期" in mail["Subject"]
    assert "未在起始日前决定" in mail.get_body().get_content()
    assert sorted(InboxMessage.objects.values_list("recipient_id", flat=True)) == sorted(
        [officers.owner.pk, officers.colleague.pk]
    )


def test_inactive_and_repeated_recipients_are_told_once_or_not_at_all(tree, officers):
    gone = make_user("gone", tree.township_a1, Role.TOWNSHIP_OFFICER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assert notices.notify_staff([officers.owner, officers.owner, gone, None], title="t", text="x") == 1


def test_a_notice_with_no_sender_raises_and_the_decision_with_it_rolls_back(monkeypatch, officers):
    monkeypatch.setattr(notices, "_sender", None)
    with pytest.raises(notices.NoNoticeSender), transaction.atomic():
        officers.owner.display_name = "改过的名字"
        officers.owner.save()
        notices.notify_staff([officers.owner], title="t", text="x")
    officers.owner.refresh_from_db()
    assert officers.owner.display_name != "改过的名字" and not Delivery.objects.exists()
