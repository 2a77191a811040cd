"""Low alerts reach e-mail once a day, as one digest per officer, from the digest hour on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Alert
from notifications import sender
from notifications.digest import digest_day_due, plan_digests
from notifications.models import Delivery

pytestmark = pytest.mark.django_db
LOCAL = ZoneInfo("Asia/Shanghai")


def test_the_digest_of_a_day_is_due_from_the_digest_hour_of_the_next(settings):
    settings.NOTIFY_DIGEST_HOUR = 8
    assert digest_day_due(dt.datetime(2026, 12, 2, 7, 59, tzinfo=LOCAL)) is None
    assert digest_day_due(dt.datetime(2026, 12, 2, 8, 0, tzinfo=LOCAL)) == dt.date(2026, 12, 1)
    # 00:30 UTC on the 2nd is 08:30 in Shanghai: the day before is the 1st, not 30 November.
    assert digest_day_due(dt.datetime(2026, 12, 2, 0, 30, tzinfo=dt.UTC)) == dt.date(2026, 12, 1)


def test_low_alerts_of_a_day_become_one_digest_email_sent_once(channels, mailbox, subject, officers):
    person, case = subject
    low = [
        raise_alert(kind="low_battery", severity="low", person=person, case=case, subject=f"d:{n}")[0]
        for n in range(3)
    ]
    high, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    day = dt.date.today()
    start = dt.datetime.combine(day, dt.time(9), tzinfo=LOCAL)
    Alert.objects.filter(pk__in=[a.pk for a in low]).update(opened_at=start)
    Alert.objects.filter(pk=high.pk).update(opened_at=start)
    assert plan_digests(day) == 1
    assert plan_digests(day) == 0  # planned twice (a second sender, the next minute): one digest
    while sender.handle_batch():
        pass
    digests = [m for m in mailbox.messages if "汇总" in m["Subject"]]
    assert len(digests) == 1 and digests[0]["To"] == "owner@example.test"
    body = digests[0].get_body().get_content()
    assert "共 3 条" in body and body.count(case.number) == 3 and "王五" not in body
    assert Delivery.objects.get(digest_on=day).details["alerts"] == [a.pk for a in low]
    # Each low alert itself went to the inbox only: no per-alert e-mail.
    assert not Delivery.objects.filter(alert__in=low, channel="email").exists()


def test_no_digest_is_planned_for_a_day_without_low_alerts(channels, subject):
    assert plan_digests(dt.date.today()) == 0
