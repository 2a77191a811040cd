"""The console's 站内信: a notice of a decision reaches its recipient's inbox page with a link to the page it
concerns and an unread count in the menu; marking read changes only the reader's own messages."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.core.notices import notify_staff
from notifications import sender
from notifications.models import InboxMessage

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def deliver() -> None:
    while sender.handle_batch():
        pass


def test_a_notice_shows_in_the_recipients_inbox_with_its_link_and_the_unread_count(officers):
    notify_staff([officers.owner], title="奖惩提请不予批准", text="您提交的第 7 号考核奖惩提请不予批准。",
                 link="/console/approvals/sanctions/7/")  # fmt: skip
    deliver()
    page = as_user(officers.owner).get("/console/inbox/").content.decode()
    assert '<a href="/console/approvals/sanctions/7/">奖惩提请不予批准</a>' in page
    assert "您提交的第 7 号考核奖惩提请不予批准。" in page and "详情：http" not in page
    assert '<span class="badge unread-count">1</span>' in page
    assert "奖惩提请不予批准" not in as_user(officers.colleague).get("/console/inbox/").content.decode()


def test_marking_read_changes_only_the_readers_own_messages(officers):
    notify_staff([officers.owner, officers.colleague], title="通知", text="测试")
    deliver()
    mine = InboxMessage.objects.get(recipient=officers.owner)
    theirs = InboxMessage.objects.get(recipient=officers.colleague)
    response = as_user(officers.owner).post("/console/inbox/read", {"id": theirs.pk})
    assert response.status_code == 302
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None  # not the owner's: untouched
    as_user(officers.owner).post("/console/inbox/read", {"id": mine.pk})
    assert InboxMessage.objects.get(pk=mine.pk).read_at is not None
    assert InboxMessage.objects.get(pk=theirs.pk).read_at is None
    assert "unread-count" not in as_user(officers.owner).get("/console/inbox/?unread=1").content.decode()


def test_all_read_marks_every_message_of_the_reader(officers):
    notify_staff([officers.owner], title="一", text="测试一")
    notify_staff([officers.owner], title="二", text="测试二")
    deliver()
    as_user(officers.owner).post("/console/inbox/read", {"id": "garbage"})  # not a number: all of mine
    assert not InboxMessage.objects.filter(recipient=officers.owner, read_at__isnull=True).exists()
