"""A device's fixes belong to the person who wore it at the fix time: ``/devices/{id}/positions`` shows a
reader only the fixes of people whose file they may open — never a minor's or sealed file's without a
grant, whether the device is still worn, handed back or handed on — and the fixes of no one (the device
in a drawer) to whoever may see the device."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import Role
from backend.monitoring.actions.devices import assign_device, unassign_device
from backend.monitoring.models import Device, DeviceAssignment, Position
from backend.people.models import Person
from tests.conftest import make_user
from tests.people import factories

pytestmark = pytest.mark.django_db

MINOR_BIRTH = dt.date.today().replace(year=dt.date.today().year - 15)


@pytest.fixture
def county_officer(tree):
    return make_user("county_officer_a", tree.county_a, Role.COUNTY_OFFICER)


@pytest.fixture
def watch(tree):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283581"
    )


def fix(device: Device, person: Person | None, at: dt.datetime, lat: float) -> Position:
    return Position.objects.create(
        device=device, person=person, fix_time=at, received_at=at, point=[lat, 120.0], valid=True, source="gnss"
    )  # fmt: skip


def window(start: dt.datetime, end: dt.datetime) -> str:
    return f"from={start.isoformat()}&to={end.isoformat()}".replace("+", "%2B")


def lats(api, user, device: Device, start: dt.datetime, end: dt.datetime) -> list[float]:
    response = api(user).get(f"/api/v1/devices/{device.pk}/positions?{window(start, end)}&limit=200")
    assert response.status_code == 200, response.content
    return [item["lat"] for item in response.json()["items"]]


@pytest.mark.parametrize("restriction", ["minor", "sealed"])
def test_a_restricted_files_fixes_do_not_show_through_its_device_worn_or_handed_back(
    restriction, tree, officers, county_officer, watch, api
):
    if restriction == "minor":
        person = factories.person(officers.owner, tree.township_a1, birth=MINOR_BIRTH)
    else:
        person = factories.person(officers.owner, tree.township_a1, is_sealed=True)
    assert person.is_restricted  # the registering officer holds a grant; the county officer does not
    assign_device(by=officers.owner, device=watch, person=person)
    now = timezone.now().replace(microsecond=0)
    for minutes in (50, 40, 30):
        fix(watch, person, now - dt.timedelta(minutes=minutes), 30.5 + minutes / 1000)
    start, end = now - dt.timedelta(hours=1), now + dt.timedelta(minutes=1)

    assert api(county_officer).get(f"/api/v1/persons/{person.pk}").status_code == 404
    assert (
        api(county_officer).get(f"/api/v1/persons/{person.pk}/track?{window(start, end)}").status_code == 404
    )
    assert lats(api, county_officer, watch, start, end) == []
    assert len(lats(api, officers.owner, watch, start, end)) == 3  # the grant holder sees them

    unassign_device(by=officers.owner, device=watch)
    assert lats(api, county_officer, watch, start, end) == []
    assert len(lats(api, officers.owner, watch, start, end)) == 3


def test_a_handed_on_device_shows_the_next_wearers_fixes_and_the_drawers_but_not_the_minors(
    tree, officers, county_officer, watch, api
):
    minor = factories.person(officers.owner, tree.township_a1, birth=MINOR_BIRTH)
    adult = factories.person(officers.owner, tree.township_a1)
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=10)
    t1, t2 = t0 + dt.timedelta(hours=3), t0 + dt.timedelta(hours=6)
    DeviceAssignment.objects.create(device=watch, person=minor, started_at=t0, ended_at=t1)
    DeviceAssignment.objects.create(device=watch, person=adult, started_at=t2)
    Device.objects.filter(pk=watch.pk).update(person=adult, assigned_at=t2)

    fix(watch, None, t0 - dt.timedelta(hours=1), 30.01)  # in the drawer, before anyone wore it
    fix(watch, minor, t0 + dt.timedelta(hours=1), 30.02)  # the minor's
    # Buffered fixes from the minor's spell, uploaded after the watch went to the adult, are attributed
    # by the gateway to the adult: they are still the minor's.
    fix(watch, adult, t0 + dt.timedelta(hours=2), 30.03)
    # A fix the gateway attributed to the minor a moment after the spell ended (its directory lags).
    fix(watch, minor, t1 + dt.timedelta(seconds=3), 30.04)
    fix(watch, None, t1 + dt.timedelta(hours=1), 30.05)  # back in the drawer
    fix(watch, adult, t2 + dt.timedelta(hours=1), 30.06)  # the adult's
    start, end = t0 - dt.timedelta(hours=2), timezone.now() + dt.timedelta(minutes=1)

    assert lats(api, county_officer, watch, start, end) == [30.01, 30.05, 30.06]
    assert lats(api, officers.owner, watch, start, end) == [30.01, 30.02, 30.03, 30.04, 30.05, 30.06]
    # The owner loses the grant: the minor's fixes go with it.
    minor.grants.update(revoked_at=timezone.now())
    assert lats(api, officers.owner, watch, start, end) == [30.01, 30.05, 30.06]


def test_pages_of_a_devices_fixes_skip_the_hidden_ones_without_losing_any_other(
    tree, officers, county_officer, watch, api
):
    minor = factories.person(officers.owner, tree.township_a1, birth=MINOR_BIRTH)
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=5)
    DeviceAssignment.objects.create(
        device=watch, person=minor, started_at=t0, ended_at=t0 + dt.timedelta(hours=1)
    )
    for minutes in range(0, 180, 10):
        who = minor if minutes < 60 else None
        fix(watch, who, t0 + dt.timedelta(minutes=minutes), 31 + minutes / 1000)
    seen, cursor = [], None
    while True:
        path = f"/api/v1/devices/{watch.pk}/positions?{window(t0, timezone.now())}&limit=4"
        page = api(county_officer).get(path + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [item["lat"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [31 + minutes / 1000 for minutes in range(60, 180, 10)]


def test_the_next_wearers_track_does_not_carry_the_minors_buffered_fixes(
    tree, officers, county_officer, watch, api
):
    """The gateway attributes a fix to whoever holds the device when it arrives: fixes a watch buffered
    while a minor wore it, uploaded after it went to an adult, must not show on the adult's track or map."""
    from django.test import Client

    minor = factories.person(officers.owner, tree.township_a1, birth=MINOR_BIRTH)
    adult = factories.person(officers.owner, tree.township_a1)
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=10)
    DeviceAssignment.objects.create(
        device=watch, person=minor, started_at=t0, ended_at=t0 + dt.timedelta(hours=3)
    )
    DeviceAssignment.objects.create(device=watch, person=adult, started_at=t0 + dt.timedelta(hours=6))
    Device.objects.filter(pk=watch.pk).update(person=adult, assigned_at=t0 + dt.timedelta(hours=6))
    fix(watch, adult, t0 + dt.timedelta(hours=2), 30.777)  # the minor's, attributed to the adult
    fix(watch, adult, t0 + dt.timedelta(hours=7), 30.888)  # the adult's
    start, end = t0 - dt.timedelta(hours=2), timezone.now() + dt.timedelta(minutes=1)

    track = api(county_officer).get(f"/api/v1/persons/{adult.pk}/track?{window(start, end)}").json()
    assert [f["geometry"]["coordinates"][1] for f in track["features"]] == [30.888]
    client = Client()
    client.force_login(county_officer)
    day = timezone.localdate()
    page = client.get(
        f"/console/people/{adult.pk}/?from={day - dt.timedelta(days=1)}&to={day}"
    ).content.decode()
    assert "30.888" in page and "30.777" not in page
    minor.grants.update(revoked_at=timezone.now())
    owner_track = api(officers.owner).get(f"/api/v1/persons/{adult.pk}/track?{window(start, end)}").json()
    assert [f["geometry"]["coordinates"][1] for f in owner_track["features"]] == [30.888]
