"""A time without an offset in the API is the office's time (China Standard Time), not a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.people.models import EmergencyRecord
from tests.people import factories

pytestmark = pytest.mark.django_db


def test_an_emergency_time_without_an_offset_is_read_as_china_standard_time(tree, officers, api):
    person = factories.person(officers.owner, tree.township_a1, name="测试患者", female=True)
    case = factories.mental_health(officers.owner, person)
    local = (timezone.localtime() - dt.timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    response = api(officers.owner).post(
        f"/api/v1/cases/{case.pk}/emergencies", {"occurred_at": local.isoformat(), "description": "测试"}
    )
    assert response.status_code == 201, response.content
    stored = EmergencyRecord.objects.get(case=case).occurred_at
    assert timezone.localtime(stored).replace(tzinfo=None) == local
