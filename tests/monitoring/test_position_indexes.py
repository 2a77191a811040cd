"""The positions table, the largest, keeps one index besides its rowid: each index costs every fix.  A
person's fixes are found through the devices they wore (``PositionQuerySet.of_person``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from backend.console import maps
from backend.core.http.pagination import CursorParams, paginate_by_time
from backend.core.models import AuditEvent
from backend.monitoring.actions.devices import assign_device, unassign_device
from backend.monitoring.models import Device, Position
from backend.people.models import Case
from backend.people.models.case import CaseStatus
from backend.supervision.scheduler import purge_positions
from tests.people import factories

pytestmark = pytest.mark.django_db
START = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)  # spells start now (the actions)


def index_columns() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Position._meta.db_table)
    return {
        tuple(c["columns"]) for c in found.values() if (c["index"] or c["unique"]) and not c["primary_key"]
    }


def test_positions_are_indexed_by_device_and_fix_time_only():
    assert index_columns() == {("device_id", "fix_time")}


def watch(tree, identifier: str) -> Device:
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier=identifier
    )


def fix(device: Device, person, minutes: int) -> Position:
    return Position.objects.create(
        device=device, person=person, fix_time=START + dt.timedelta(minutes=minutes), received_at=timezone.now(),
        point=[30.0, 120.0 + minutes / 1000], valid=True, source="gnss",
    )  # fmt: skip


@pytest.fixture
def handed_on(tree, officers):
    """Watch 1 worn by A, then handed on to B while A wears watch 2; fixes of both on watch 1."""
    a = factories.person(officers.owner, tree.township_a1, name="甲")
    b = factories.person(officers.owner, tree.township_a1, name="乙")
    first, second = watch(tree, "864717003283581"), watch(tree, "864717003283599")
    assign_device(by=officers.owner, device=first, person=a)
    fixes_of_a = [fix(first, a, 0), fix(first, a, 10)]
    unassign_device(by=officers.owner, device=first)
    assign_device(by=officers.owner, device=first, person=b)
    assign_device(by=officers.owner, device=second, person=a)
    fix(first, b, 15)
    fixes_of_a += [fix(second, a, 5), fix(second, a, 20)]
    return a, b, sorted(fixes_of_a, key=lambda p: p.fix_time)


def test_a_persons_fixes_come_from_every_device_they_wore_and_no_one_elses(handed_on):
    a, b, fixes_of_a = handed_on
    assert set(Position.objects.of_person(a)) == set(fixes_of_a)
    assert [p.person_id for p in Position.objects.of_person(b)] == [b.pk]


def test_a_tag_worn_by_others_later_is_read_only_over_the_time_its_earlier_wearer_can_have_fixes(handed_on):
    a, _, _ = handed_on
    stray = fix(Device.objects.get(identifier="864717003283581"), a, 60 * 24 * 3)  # after the spell + a day
    assert stray not in Position.objects.of_person(a)


def test_a_persons_track_pages_through_both_devices_in_time_order(handed_on):
    a, _, fixes_of_a = handed_on
    seen, cursor = [], None
    while True:
        page = paginate_by_time(
            Position.objects.of_person_by_device(a), CursorParams(cursor=cursor, limit=3), "fix_time"
        )
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == fixes_of_a


def test_the_console_map_shows_a_persons_fixes_from_both_devices_in_time_order_and_the_last_ones_up_to_an_alert(
    handed_on, officers
):
    a, _, fixes_of_a = handed_on
    times = [p.fix_time.isoformat() for p in fixes_of_a]
    reader = officers.owner
    track = maps.fixes(a, START - dt.timedelta(hours=1), START + dt.timedelta(hours=1), seen_by=reader)
    assert [f["t"] for f in track] == times
    assert track[0]["lon"] == 120.0 and not track[0]["late"]
    assert [
        f["t"] for f in maps.fixes(a, START, START + dt.timedelta(hours=1), seen_by=reader, limit=2)
    ] == times[:2]
    recent = maps.recent_fixes(
        a, START - dt.timedelta(minutes=20), seen_by=reader, limit=2
    )  # up to 10 min in
    assert [f["t"] for f in recent] == times[1:3]  # the last two up to half an hour after the sighting


def test_the_retention_purge_finds_a_persons_fixes_through_their_devices_and_leaves_the_next_wearers(
    handed_on, officers
):
    a, b, _ = handed_on
    case = factories.aftercare(officers.owner, a)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ENDED, closed_on=dt.date(2024, 1, 31))
    assert purge_positions(timezone.now()) == 4
    assert not Position.objects.filter(person=a).exists()
    assert Position.objects.filter(person=b).count() == 1
    assert AuditEvent.objects.get(action="positions.purge").details == {"rows": 4}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's EXPLAIN QUERY PLAN")
def test_every_read_of_positions_searches_the_device_index_in_its_order(handed_on):
    a, _, _ = handed_on
    reads = [
        Position.objects.filter(device_id=1, fix_time__gte=START).order_by("fix_time", "pk")[:50],
        Position.objects.of_person(a).filter(fix_time__gte=START),
        *(
            q.filter(fix_time__lt=START).order_by("-fix_time", "-pk")[:50]
            for q in Position.objects.of_person_by_device(a)
        ),
    ]
    for read in reads:
        sql, params = read.values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert (
            "SEARCH" in plan and "INDEX" in plan and "(device_id=?" in plan and "TEMP B-TREE" not in plan
        ), plan
