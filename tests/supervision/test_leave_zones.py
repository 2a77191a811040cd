"""Zones during leave (docs/supervision.md "Leave": approved leave suspends inclusion for its window; its
destination, if drawn, is the inclusion zone then).  Judged through the gateway's hook, as tests/monitoring/test_zone_watch.py does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.monitoring.absences import absence_sources
from backend.monitoring.models import Alert, Device, Zone
from backend.monitoring.zone_watch import ZoneCache, ZoneEvaluator
from backend.supervision.absences import ApprovedLeave
from backend.supervision.actions.leave import approve_leave, return_leave
from backend.supervision.models import LeaveRequest
from backend.supervision.models.leave import day_start
from tests.monitoring.test_zone_watch import HOME, at_distance, evaluator, fixes
from tests.supervision.test_leave_requests import case, file, today  # noqa: F401

pytestmark = pytest.mark.django_db
AWAY = at_distance(50_000, 45)  # 50 km north-east of home: the destination
DESTINATION = {"type": "circle", "lat": AWAY[0], "lon": AWAY[1], "radius_m": 2000}


@pytest.fixture
def device(tree, case):  # noqa: F811
    return Device.objects.create(jurisdiction=tree.township_a1, kind="watch", protocol="gt06",
                                 identifier="864717003283599", person=case.person)  # fmt: skip


@pytest.fixture
def home(tree, case):  # noqa: F811
    return Zone.objects.create(name="居住地 1 公里（测试）", kind="inclusion", jurisdiction=tree.township_a1,
                               person=case.person, geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000})  # fmt: skip


def leave_of(officers, case, **extra):  # noqa: F811
    """An approved leave from day 3 to day 5."""
    return approve_leave(by=officers.owner, leave=file(officers.owner, case, 3, 5, **extra))


def first_day():
    return day_start(today() + dt.timedelta(days=3))


def after_leave():
    return day_start(today() + dt.timedelta(days=6))


def test_inclusion_zones_do_not_apply_during_an_approved_leave(officers, case, device, home):  # noqa: F811
    leave_of(officers, case)
    evaluator()(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * 4))
    assert not Alert.objects.exists()


def test_they_apply_again_from_the_moment_the_leave_ends(officers, case, device, home):  # noqa: F811
    leave_of(officers, case)
    watch = evaluator()
    watch(fixes(device, after_leave() - dt.timedelta(minutes=2), [AWAY] * 3))  # the leave's last minutes
    assert not Alert.objects.exists()
    watch(fixes(device, after_leave(), [AWAY] * 2))
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject) == ("zone_exit", f"zone:{home.pk}")


def test_they_apply_before_the_leave_begins(officers, case, device, home):  # noqa: F811
    leave_of(officers, case)
    evaluator()(fixes(device, first_day() - dt.timedelta(minutes=5), [AWAY] * 2))
    assert Alert.objects.get().subject == f"zone:{home.pk}"


def test_a_pending_leave_suspends_nothing(officers, case, device, home):  # noqa: F811
    file(officers.owner, case, 3, 5)
    evaluator()(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * 2))
    assert Alert.objects.count() == 1


def test_a_leave_returned_early_no_longer_suspends_them(officers, case, device, home):  # noqa: F811
    leave = leave_of(officers, case)
    return_leave(by=officers.owner, leave=leave)  # back before it began: the person did not go
    evaluator()(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * 2))
    assert Alert.objects.get().subject == f"zone:{home.pk}"


def test_exclusion_zones_still_apply_during_leave(tree, officers, case, device, home):  # noqa: F811
    bar = Zone.objects.create(name="禁止进入（测试）", kind="exclusion", jurisdiction=tree.township_a1, person=case.person,
                              geometry={"type": "circle", "lat": AWAY[0], "lon": AWAY[1], "radius_m": 300})  # fmt: skip
    leave_of(officers, case)
    evaluator()(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * 2))
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject) == ("zone_entry", f"zone:{bar.pk}")


def test_the_destination_is_the_inclusion_zone_during_the_leave(officers, case, device, home):  # noqa: F811
    leave = leave_of(officers, case, destination_geometry=DESTINATION)
    zone = Zone.objects.get(pk=leave.destination_zone_id)
    assert (zone.kind, zone.person_id, zone.geometry) == ("inclusion", case.person_id, DESTINATION)
    watch = evaluator()
    watch(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * 3))  # at the destination
    assert not Alert.objects.exists()
    elsewhere = at_distance(20_000, 180)  # 20 km south of home, far from the destination too
    watch(fixes(device, first_day() + dt.timedelta(hours=11), [elsewhere] * 2))
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject, alert.details["reason"]) == (
        "zone_exit",
        f"zone:{zone.pk}",
        "confirmed",
    )


def test_the_destination_does_not_apply_outside_the_leave(officers, case, device, home):  # noqa: F811
    leave_of(officers, case, destination_geometry=DESTINATION)
    watch = evaluator()
    watch(
        fixes(device, after_leave() + dt.timedelta(hours=1), [HOME] * 3)
    )  # home again, away from the destination
    watch(fixes(device, first_day() - dt.timedelta(hours=1), [HOME] * 3, late=True))
    assert not Alert.objects.exists()


def test_an_approval_reaches_a_cache_that_was_built_before_it(officers, case, device, home):  # noqa: F811
    watch = ZoneEvaluator(ZoneCache(refresh_seconds=0))
    watch(fixes(device, first_day() + dt.timedelta(hours=9), [HOME] * 2))  # the cache is loaded, no leave
    leave_of(officers, case)
    watch(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * 3))
    assert not Alert.objects.exists()


def test_approved_leave_is_added_to_the_zone_watch_at_start():
    """The zone watch (monitoring) cannot import leave (supervision): without this source a person on
    approved leave outside their zones would be alerted."""
    assert isinstance(absence_sources().get("approved leave"), ApprovedLeave)


def test_a_batch_asks_about_leave_once_whatever_its_number_of_fixes(officers, case, device, home):  # noqa: F811
    """The gateway's hot path: leave is read when the cache checks for changes, never per fix."""
    leave_of(officers, case)
    watch = ZoneEvaluator(ZoneCache(refresh_seconds=0))
    watch(fixes(device, first_day() + dt.timedelta(hours=9), [AWAY] * 2))  # loaded
    for count in (2, 40):
        with CaptureQueriesContext(connection) as queries:
            watch(fixes(device, first_day() + dt.timedelta(hours=10), [AWAY] * count))
        leave_table = LeaveRequest._meta.db_table
        assert sum(leave_table in q["sql"] for q in queries.captured_queries) == 1  # the change stamp
    assert not Alert.objects.exists()
