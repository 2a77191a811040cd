"""An app check-in confidently outside the person's permitted area (``verified: false``) does not meet a duty
and raises a checkin_unverified alert for the officer, its severity a rule (issue #23, item 16)."""

from __future__ import annotations

import pytest

from backend.core.rules import rules
from backend.monitoring.models import Alert
from backend.supervision.due import run_planners
from backend.supervision.models import Checkin, DueItem, DueKind
from backend.supervision.plans import compliance
from backend.supervision.sweep import sweep
from tests.supervision import test_checkin_app as app
from tests.supervision.test_checkin_plans import at

pytestmark = pytest.mark.django_db
case, home, phone = app.case, app.home, app.phone  # the same fixtures
at_distance, check_in = app.at_distance, app.check_in


def phone_week(of) -> tuple[str, str]:
    item = DueItem.objects.get(case=of, kind=DueKind.CHECKIN_WINDOW_END, details__duty="phone",
                               details__window="2026-W45")  # fmt: skip
    weeks = {w["window"]: (w["done"], w["status"]) for p in compliance(of, "2026-11", at(2026, 11, 20))
             if p["kind"] == "phone" for w in p["windows"]}  # fmt: skip
    return item.outcome, weeks["2026-W45"]


def test_a_check_in_twelve_kilometres_outside_does_not_meet_the_weekly_duty(api, phone, home, case):
    run_planners(at(2026, 11, 1, 12))
    assert check_in(api, phone.credential, at_distance(12_000)).json()["verified"] is False
    Checkin.objects.update(at=at(2026, 11, 5, 20))  # into the week (the app stamps the server's clock)
    sweep(at(2026, 11, 9))
    outcome, week = phone_week(case)
    missed = Alert.objects.get(kind="missed_checkin", case=case)
    assert outcome == f"alert:{missed.pk}" and week == (0, "missed")


def test_a_check_in_inside_or_not_judged_still_meets_it(api, phone, home, case):
    run_planners(at(2026, 11, 1, 12))
    check_in(api, phone.credential, at_distance(1100), accuracy=300)  # straddles the boundary: not judged
    Checkin.objects.update(at=at(2026, 11, 5, 20))
    sweep(at(2026, 11, 9))
    assert phone_week(case) == ("ok", (1, "met"))
    assert not Alert.objects.exists()


def test_an_unverified_check_in_raises_one_alert_the_officer_sees(api, phone, home, case, officers):
    check_in(api, phone.credential, at_distance(12_000))
    alert = Alert.objects.get(kind="checkin_unverified")
    checkin = Checkin.objects.get()
    assert (alert.severity, alert.person_id, alert.case_id, alert.device_id, alert.owner_id) == (
        "high",
        case.person_id,
        case.pk,
        phone.device.pk,
        case.officer_id,
    )
    assert alert.details["checkin"] == checkin.pk
    check_in(api, phone.credential, at_distance(11_000))  # again: counted on the open alert
    assert Alert.objects.get(kind="checkin_unverified").occurrences == 2
    listed = api(officers.owner).get("/api/v1/alerts?kind=checkin_unverified").json()["items"]
    assert [a["id"] for a in listed] == [alert.pk]
    assert check_in(api, phone.credential, at_distance(200)).json()["verified"] is True
    assert Alert.objects.count() == 1


def test_the_alerts_severity_is_a_rule_and_zero_raises_none(api, phone, home, province_rules):
    province_rules(checkin_unverified_alert_level=2)
    check_in(api, phone.credential, at_distance(12_000))
    assert Alert.objects.get(kind="checkin_unverified").severity == "medium"
    Alert.objects.all().update(state="resolved")
    province_rules(checkin_unverified_alert_level=0)
    check_in(api, phone.credential, at_distance(12_000))
    assert Alert.objects.count() == 1


def test_a_level_beyond_critical_stops_the_process(province_rules):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="checkin_unverified_alert_level"):
        province_rules(checkin_unverified_alert_level=5)
        rules()
