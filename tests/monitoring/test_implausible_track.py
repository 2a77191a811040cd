"""A fix stored flagged ``implausible`` (an impossible jump) is not drawn as track: the console maps and the
person file's track map leave it out, the track API returns it marked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.console import maps
from backend.core.models import AuditEvent
from backend.monitoring.models import Device, Position
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def worn(tree, officers):
    person = factories.person(officers.owner, tree.township_a1)
    factories.correction(officers.owner, person)
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283581",
        person=person, assigned_at=timezone.now() - dt.timedelta(days=2),
    )  # fmt: skip
    now = timezone.now().replace(microsecond=0)
    for minutes, point, implausible in (
        (30, [30.1, 120.2], False),
        (29, [40.1, 120.2], True),  # 1,100 km away a minute later
        (28, [30.1005, 120.2], False),
    ):
        Position.objects.create(
            device=device, person=person, fix_time=now - dt.timedelta(minutes=minutes), received_at=now,
            point=point, valid=True, source="gnss", implausible=implausible,
        )  # fmt: skip
    return person


def test_the_console_map_leaves_an_implausible_fix_out_of_the_track(worn, officers):
    now = timezone.now()
    drawn = maps.fixes(worn, now - dt.timedelta(hours=1), now, seen_by=officers.owner)
    assert [f["lat"] for f in drawn] == [30.1, 30.1005]
    assert [f["lat"] for f in maps.recent_fixes(worn, now, seen_by=officers.owner)] == [30.1, 30.1005]


def test_the_track_api_returns_an_implausible_fix_marked(worn, officers, api):
    now = timezone.now()
    query = {"from": (now - dt.timedelta(hours=1)).isoformat(), "to": now.isoformat()}
    client = api(officers.owner)
    body = client.client.get(f"/api/v1/persons/{worn.pk}/track", query, headers=client.headers).json()
    assert [f["properties"]["implausible"] for f in body["features"]] == [False, True, False]


def test_the_person_file_draws_only_plausible_fixes(worn, officers, api):
    today = timezone.localdate()
    response = api(officers.owner).get(
        f"/api/v1/reports/person/{worn.pk}.pdf?from={today - dt.timedelta(days=1)}&to={today}"
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="report.person_file")
    assert event.details["points"] == 2 and event.details["implausible"] == 1
