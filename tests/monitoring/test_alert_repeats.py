"""Every occurrence counted on an open alert leaves a timeline entry saying what happened, and back-filled
fixes (JT/T 808 0x0704, a device's stored track) count once per distinct excursion: not once per fix, not
again for an excursion already alerted, not again when the same batch is sent twice."""

# ruff: noqa: F811 (the zone-watch fixtures, imported, are test parameters here)

from __future__ import annotations

import datetime as dt

import pytest

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.models import Alert, AlertEvent
from tests.monitoring.test_zone_watch import (  # noqa: F401 (fixtures)
    START,
    at_distance,
    device,
    evaluator,
    fixes,
    home,
    person,
)

pytestmark = pytest.mark.django_db


def repeats(alert: Alert) -> list[AlertEvent]:
    return list(AlertEvent.objects.filter(alert=alert, kind="repeated").order_by("at", "id"))


def live_excursion_and_return(watch, device, start):
    watch(fixes(device, start, [at_distance(2000)] * 3))  # out for a minute: the alert opens
    watch(fixes(device, start + dt.timedelta(minutes=5), [at_distance(100)] * 2))  # back


def test_a_back_filled_excursion_counts_once_on_the_open_alert_and_says_so_on_the_timeline(device, home):
    watch = evaluator()
    live_excursion_and_return(watch, device, START)
    assert Alert.objects.get().occurrences == 1
    earlier = START - dt.timedelta(hours=2)  # an excursion the tag stored while offline, uploaded now
    watch(fixes(device, earlier, [at_distance(2000)] * 3, late=True))
    alert = Alert.objects.get()
    assert alert.occurrences == 2
    [entry] = repeats(alert)
    assert (
        entry.note.startswith("补传定位再次越界") and "2026-11-20 18:00:30" in entry.note
    )  # the fix, local time
    assert entry.details["late"] is True and entry.details["fix_time"] == "2026-11-20T10:00:30+00:00"


def test_a_back_fill_inside_the_excursion_already_alerted_adds_nothing(device, home):
    watch = evaluator()
    live_excursion_and_return(watch, device, START)
    # The same excursion's fixes that the tag had buffered, between the live ones.
    watch(fixes(device, START + dt.timedelta(seconds=10), [at_distance(2100)] * 3, step_s=15, late=True))
    alert = Alert.objects.get()
    assert alert.occurrences == 1 and not repeats(alert)


def test_the_same_back_filled_batch_sent_twice_counts_once(device, home):
    watch = evaluator()
    live_excursion_and_return(watch, device, START)
    earlier = START - dt.timedelta(hours=2)
    watch(fixes(device, earlier, [at_distance(2000)] * 3, late=True))
    watch(fixes(device, earlier, [at_distance(2000)] * 3, late=True))  # resent after a lost ack
    alert = Alert.objects.get()
    assert alert.occurrences == 2 and len(repeats(alert)) == 1


def test_two_distinct_back_filled_excursions_count_twice(device, home):
    watch = evaluator()
    live_excursion_and_return(watch, device, START)
    out_and_back = [at_distance(2000)] * 3 + [at_distance(100)] * 2
    watch(fixes(device, START - dt.timedelta(hours=3), out_and_back, late=True))
    watch(fixes(device, START - dt.timedelta(hours=2), out_and_back, late=True))
    alert = Alert.objects.get()
    assert alert.occurrences == 3 and len(repeats(alert)) == 2


def test_leaving_again_live_leaves_a_timeline_entry(device, home):
    watch = evaluator()
    live_excursion_and_return(watch, device, START)
    watch(fixes(device, START + dt.timedelta(minutes=10), [at_distance(2000)] * 2))
    alert = Alert.objects.get()
    assert alert.occurrences == 2
    [entry] = repeats(alert)
    assert entry.note.startswith("再次越界") and entry.details["late"] is False


def test_a_standing_alarm_counts_every_repeat_but_writes_one_timeline_entry_per_window(person, settings):
    # A low-battery or SOS bit set on every fix: each is counted, the timeline gets one line per window.
    for _ in range(5):
        raise_alert(
            kind="sos", severity="critical", person=person, subject="device:1", details={"alarm": "sos"}
        )
    alert = Alert.objects.get()
    assert alert.occurrences == 5
    assert [e.note for e in repeats(alert)] == ["再次发生"]
    AlertEvent.objects.filter(alert=alert, kind="repeated").update(
        at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)
    )  # the window (10 minutes) has passed
    raise_alert(kind="sos", severity="critical", person=person, subject="device:1", details={"alarm": "sos"})
    alert.refresh_from_db()
    assert alert.occurrences == 6 and len(repeats(alert)) == 2


def test_a_late_repeat_of_a_standing_alarm_is_always_on_the_timeline(person):
    for _ in range(3):
        raise_alert(kind="sos", severity="critical", person=person, subject="device:1", late=True)
    assert len(repeats(Alert.objects.get())) == 2
