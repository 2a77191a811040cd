from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.detectors import detect_absconding, detect_signal_lost
from backend.monitoring.models import Alert, Device
from backend.people.actions.transitions import transition_case
from tests.people import factories

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def case(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    return transition_case(by=officers.owner, case=case, action="report")


def device(case, kind: str, minutes_quiet: int) -> Device:
    return Device.objects.create(
        jurisdiction=case.jurisdiction, kind=kind, protocol="gt06" if kind != "phone" else "osmand",
        identifier=f"86{kind[:1]}{minutes_quiet:012d}", person=case.person, assigned_at=NOW - dt.timedelta(days=1),
        last_fix_at=NOW - dt.timedelta(minutes=minutes_quiet),
    )  # fmt: skip


def test_a_quiet_tag_is_signal_lost_after_30_minutes_a_phone_after_3_hours(case):
    device(case, "watch", 29)
    device(case, "phone", 170)
    assert detect_signal_lost(NOW) == 0
    device(case, "watch", 31)
    device(case, "phone", 181)
    assert detect_signal_lost(NOW) == 2
    assert set(Alert.objects.values_list("kind", "severity")) == {
        ("signal_lost", "high"),
        ("signal_lost", "medium"),
    }


def test_a_lasting_silence_stays_one_alert(case):
    device(case, "watch", 60)
    detect_signal_lost(NOW)
    detect_signal_lost(NOW + dt.timedelta(minutes=1))
    assert Alert.objects.get().occurrences == 2


def test_breach_plus_lost_signal_is_one_critical_suspected_absconding(case):
    raise_alert(kind="zone_exit", severity="high", person=case.person, subject="zone:1")
    assert detect_absconding(NOW) == 0  # a breach alone is not absconding
    raise_alert(kind="signal_lost", severity="high", person=case.person, subject="device:1")
    assert detect_absconding(NOW) == 1
    assert detect_absconding(NOW) == 1  # counted on the same alert, not a second one
    alert = Alert.objects.get(kind="absconding")
    assert alert.severity == "critical" and alert.occurrences == 2


def test_a_subject_on_approved_leave_is_not_suspected_of_absconding(case, officers):
    transition_case(by=officers.owner, case=case, action="start_leave")
    raise_alert(kind="zone_exit", severity="high", person=case.person, subject="zone:1")
    raise_alert(kind="signal_lost", severity="high", person=case.person, subject="device:1")
    assert detect_absconding(NOW) == 0


def test_the_command_runs_every_detector_once(case, capsys):
    device(case, "watch", 45)
    call_command("run_detectors")
    assert "信号中断 1" in capsys.readouterr().out
