"""Location alerts name the case the person is supervised under and the device that produced the fix or alarm
(issue #23, item 11): zone exit and entry, SOS, power cut, low battery, signal lost, suspected absconding."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import Role
from backend.monitoring.actions.orders import add_months
from backend.monitoring.detectors import detect_absconding, detect_signal_lost
from backend.monitoring.device_alarms import alerts_from_batch
from backend.monitoring.models import Alert, Device, Zone
from backend.monitoring.zone_watch import ZoneCache, ZoneEvaluator
from backend.people.actions.transitions import transition_case
from gps_gateway.protocols.common import Alarm, Fix
from gps_gateway.rows import FixRow
from tests.conftest import make_user
from tests.monitoring.order_helpers import grant_order
from tests.monitoring.test_zone_watch import HOME, at_distance
from tests.people import factories

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def case(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    case = factories.correction(officers.owner, person)
    return transition_case(by=officers.owner, case=case, action="report")


@pytest.fixture
def watch(tree, case):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283581",
        person=case.person, assigned_at=timezone.now() - dt.timedelta(days=1),
    )  # fmt: skip


@pytest.fixture
def home(tree, case):
    return Zone.objects.create(
        name="居住地 1 公里（测试）", kind="inclusion", jurisdiction=tree.township_a1, person=case.person,
        geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000},
    )  # fmt: skip


def row(device: Device, at: dt.datetime, point=None, alarms=()) -> FixRow:
    lat, lon = point or HOME
    fix = Fix(fix_time=at, latitude=lat, longitude=lon, valid=True, accuracy_m=10, alarms=set(alarms))
    return FixRow(device.pk, device.person_id, fix, timezone.now(), late=False)


def test_a_zone_exit_alert_names_the_case_and_the_device(case, watch, home, officers, api):
    ZoneEvaluator(ZoneCache(refresh_seconds=0))(
        [row(watch, START, at_distance(2000)), row(watch, START + dt.timedelta(minutes=1), at_distance(2100))]
    )
    alert = Alert.objects.get(kind="zone_exit")
    assert (alert.case_id, alert.device_id) == (case.pk, watch.pk)
    body = api(officers.owner).get(f"/api/v1/alerts/{alert.pk}").json()
    assert (body["case_id"], body["device_id"]) == (case.pk, watch.pk)
    listed = api(officers.owner).get("/api/v1/alerts?kind=zone_exit").json()["items"]
    assert [(a["case_id"], a["device_id"]) for a in listed] == [(case.pk, watch.pk)]


@pytest.mark.parametrize("alarm, kind", [(Alarm.SOS, "sos"), (Alarm.POWER_CUT, "power_cut"),
                                         (Alarm.REMOVING, "tamper"), (Alarm.LOW_BATTERY, "low_battery")])  # fmt: skip
def test_a_device_alarm_names_the_case_and_the_device(case, watch, alarm, kind):
    assert alerts_from_batch([row(watch, START, alarms={alarm})]) == 1
    alert = Alert.objects.get(kind=kind)
    assert (alert.person_id, alert.case_id, alert.device_id) == (case.person_id, case.pk, watch.pk)


def test_an_alarm_without_a_position_still_names_the_device(case, watch):
    fix = Fix(fix_time=START, alarms={Alarm.SOS})
    alerts_from_batch([FixRow(watch.pk, watch.person_id, fix, timezone.now(), late=False, store_point=False)])
    alert = Alert.objects.get(kind="sos")
    assert (alert.case_id, alert.device_id) == (case.pk, watch.pk)


def test_signal_lost_and_suspected_absconding_name_the_case_and_the_device(case, watch, home):
    now = timezone.now()
    Device.objects.filter(pk=watch.pk).update(last_fix_at=now - dt.timedelta(minutes=45))
    assert detect_signal_lost(now) == 1
    lost = Alert.objects.get(kind="signal_lost")
    assert (lost.case_id, lost.device_id) == (case.pk, watch.pk)
    ZoneEvaluator(ZoneCache(refresh_seconds=0))(
        [row(watch, now - dt.timedelta(minutes=50), at_distance(2000)),
         row(watch, now - dt.timedelta(minutes=49), at_distance(2100))]
    )  # fmt: skip
    assert detect_absconding(now) == 1
    absconding = Alert.objects.get(kind="absconding")
    assert (absconding.case_id, absconding.device_id) == (case.pk, watch.pk)


def test_the_case_named_is_the_one_the_location_order_belongs_to(tree, officers, case, watch, home):
    """A person may hold several open cases; a location alert belongs to the correction case under the order,
    not to whichever case was opened last."""
    head = make_user("county_head_a", tree.county_a, Role.COUNTY_HEAD)
    today = timezone.localdate()
    grant_order(
        by=officers.owner, case=case, ground="2", facts="未经批准离开本县（测试）", approved_by=head,
        approved_on=today, starts_on=today, ends_on=add_months(today, 3), notice_signed_on=today,
    )  # fmt: skip
    later = factories.mental_health(officers.owner, case.person, opened_on=today + dt.timedelta(days=1))
    assert later.opened_on > case.opened_on
    now = timezone.now()
    alerts_from_batch([row(watch, now, alarms={Alarm.SOS})])
    assert Alert.objects.get(kind="sos").case_id == case.pk


def test_an_alarm_from_an_unassigned_device_names_the_device_and_no_case(tree):
    spare = Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283599"
    )
    alerts_from_batch([row(spare, START, alarms={Alarm.SOS})])
    alert = Alert.objects.get(kind="sos")
    assert (alert.person_id, alert.case_id, alert.device_id) == (None, None, spare.pk)
