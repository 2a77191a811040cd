"""Reminders to the person (SMS through remind_people) and the missed-window alert, after downtime too."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.monitoring.models import Alert
from backend.supervision.actions.checkins import record_checkin
from backend.supervision.due import run_planners
from backend.supervision.models import DueItem, DueKind
from backend.supervision.sweep import sweep
from notifications.models import Delivery
from tests.supervision.test_checkin_plans import active_case, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    settings.SMS_PROVIDER, settings.SMS_URL = "json", "http://127.0.0.1:9/sms"


def texts(kind: str) -> dict[str, str]:
    """SMS queued to the person for items of ``kind``, by duty."""
    rows = Delivery.objects.filter(channel="sms", person__isnull=False, due_item__kind=kind).select_related(
        "due_item"
    )
    return {d.due_item.details["duty"]: d.details["text"] for d in rows}


def outcomes(case, kind: str, window: str) -> dict[str, str]:
    items = DueItem.objects.filter(case=case, kind=kind, details__window=window)
    return {i.details["duty"]: i.outcome for i in items}


def test_the_opening_reminder_is_queued_at_nine_on_monday_and_not_a_minute_before(sms, officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    sweep(at(2026, 11, 2, 8, 59))
    assert texts(DueKind.CHECKIN_OPENS) == {}
    sweep(at(2026, 11, 2, 9, 0))
    sent = texts(DueKind.CHECKIN_OPENS)
    assert set(sent) == {"in_person", "written"}
    assert sent["in_person"] == (
        f"【签到提醒】本周（11月2日—11月8日）请按要求完成当面报到（1次）。案件编号 {case.number}，如有疑问请联系司法所。"
    )
    assert all("测试对象" not in text for text in sent.values())  # never the person's name
    delivery = Delivery.objects.filter(due_item__kind=DueKind.CHECKIN_OPENS).first()
    assert (delivery.person_id, delivery.state, delivery.details["title"]) == (
        case.person_id,
        "due",
        "签到提醒",
    )
    assert outcomes(case, DueKind.CHECKIN_OPENS, "2026-W45") == {
        "in_person": "reminded",
        "written": "reminded",
    }


def test_the_opening_reminder_is_not_needed_when_the_duty_is_already_done(sms, officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    record_checkin(by=officers.owner, case=case, kind="in_person", at=at(2026, 11, 2, 8, 30))
    sweep(at(2026, 11, 2, 9, 0))
    assert set(texts(DueKind.CHECKIN_OPENS)) == {"written"}
    assert outcomes(case, DueKind.CHECKIN_OPENS, "2026-W45") == {
        "in_person": "not_needed",
        "written": "reminded",
    }


def test_the_closing_reminder_goes_a_day_before_the_end_only_for_duties_not_yet_done(sms, officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    record_checkin(by=officers.owner, case=case, kind="in_person", at=at(2026, 11, 4, 10))
    sweep(at(2026, 11, 7, 23, 59))
    assert texts(DueKind.CHECKIN_CLOSING) == {}
    sweep(at(2026, 11, 8, 0, 0))
    assert texts(DueKind.CHECKIN_CLOSING) == {
        "written": f"【签到提醒】本周（11月2日—11月8日）的书面报告将于11月8日24时截止，目前已完成0/1次，请尽快完成。"
        f"案件编号 {case.number}。"
    }
    assert outcomes(case, DueKind.CHECKIN_CLOSING, "2026-W45") == {
        "in_person": "not_needed",
        "written": "reminded",
    }


def test_monthly_hours_reminders_say_how_many_hours_are_still_due(sms, officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 9, 30, 12))
    record_checkin(by=officers.owner, case=case, kind="education", at=at(2026, 10, 10, 9), hours="7.5")
    sweep(at(2026, 10, 31, 0, 0))
    closing = texts(DueKind.CHECKIN_CLOSING)
    assert "目前已完成7.5/12小时" in closing["education"]
    assert "2026年10月的社区服务将于10月31日24时截止，目前已完成0/12小时" in closing["community_service"]


@pytest.mark.parametrize(("minutes_late", "outcome"), [(360, "reminded"), (361, "stale")])
def test_a_reminder_up_to_six_hours_late_is_sent_and_later_it_is_stale(
    sms, officers, tree, minutes_late, outcome
):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    sweep(at(2026, 11, 2, 9) + dt.timedelta(minutes=minutes_late))
    assert outcomes(case, DueKind.CHECKIN_OPENS, "2026-W45") == {"in_person": outcome, "written": outcome}
    assert len(texts(DueKind.CHECKIN_OPENS)) == (2 if outcome == "reminded" else 0)


def test_after_downtime_stale_reminders_are_not_sent_but_the_missed_window_still_alerts(sms, officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    sweep(at(2026, 11, 9, 3, 0))  # the scheduler was down from Sunday 1 to Monday 9 November, 03:00
    assert Delivery.objects.filter(person__isnull=False).count() == 0
    assert outcomes(case, DueKind.CHECKIN_OPENS, "2026-W45") == {"in_person": "stale", "written": "stale"}
    assert outcomes(case, DueKind.CHECKIN_CLOSING, "2026-W45") == {"in_person": "stale", "written": "stale"}
    alerts = Alert.objects.filter(kind="missed_checkin", case=case)
    assert sorted(alerts.values_list("details__kind", "severity")) == [
        ("in_person", "high"),
        ("written", "medium"),
    ]
    assert outcomes(case, DueKind.CHECKIN_WINDOW_END, "2026-W45") == {
        a.details["kind"]: f"alert:{a.pk}" for a in alerts
    }


def test_one_alert_per_missed_window_even_when_planner_and_sweep_run_twice(sms, officers, tree):
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    run_planners(at(2026, 11, 1, 12))
    sweep(at(2026, 11, 9, 0, 0))
    sweep(at(2026, 11, 9, 0, 0))
    run_planners(at(2026, 11, 9, 1, 0))
    sweep(at(2026, 11, 9, 1, 0))
    alerts = Alert.objects.filter(kind="missed_checkin", case=case)
    assert alerts.count() == 2
    assert set(alerts.values_list("occurrences", flat=True)) == {1}
    assert set(alerts.values_list("owner_id", flat=True)) == {officers.owner.pk}
    # …and the next week's window is missed on its own: one more pair, with its own subject.
    sweep(at(2026, 11, 16, 0, 0))
    assert sorted(alerts.values_list("details__window", flat=True)) == [
        "2026-W45",
        "2026-W45",
        "2026-W46",
        "2026-W46",
    ]


def test_without_sms_set_up_the_reminder_is_recorded_as_not_sent(settings, officers, tree):
    settings.SMS_PROVIDER = ""
    case = active_case(officers, tree)
    run_planners(at(2026, 11, 1, 12))
    sweep(at(2026, 11, 2, 9, 0))
    assert Delivery.objects.filter(person__isnull=False).count() == 0
    assert outcomes(case, DueKind.CHECKIN_OPENS, "2026-W45") == {"in_person": "no_sms", "written": "no_sms"}


def test_a_batch_is_handled_with_a_fixed_number_of_queries(
    sms, officers, tree, django_assert_max_num_queries
):
    cases = [active_case(officers, tree) for _ in range(6)]
    run_planners(at(2026, 11, 1, 12))
    record_checkin(by=officers.owner, case=cases[0], kind="in_person", at=at(2026, 11, 2, 8))
    from backend.supervision.handlers.checkins import handle_opens
    from backend.supervision.sweep import claim

    items = [i for i in claim(1000, at(2026, 11, 2, 9)) if i.kind == DueKind.CHECKIN_OPENS]
    assert len(items) == 24  # W45's two weekly duties, and November's two monthly ones (stale by now)
    # The plans, one aggregate per duty and window (four duties here), the reminders, the finishes (one per
    # outcome: reminded, not needed, stale): a bound set by the duties, not by the number of items.
    with django_assert_max_num_queries(11):
        handle_opens(items, at(2026, 11, 2, 9))
    assert Delivery.objects.filter(person__isnull=False).count() == 11
