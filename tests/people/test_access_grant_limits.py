"""Every access grant to a minor's or sealed file runs out within the same ceiling
(``rules().access_grant_max_days``): the one a county head gives through the API, and the one the
registering officer gets automatically when the file is opened."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.core.rules import rules
from backend.people.models import AccessGrant
from tests.people import factories

pytestmark = pytest.mark.django_db

MINOR_BIRTH = dt.date.today().replace(year=dt.date.today().year - 15)


def days_left(grant: AccessGrant) -> float:
    return (grant.expires_at - timezone.now()).total_seconds() / 86400


@pytest.mark.parametrize("restriction", ["minor", "sealed"])
def test_the_registering_officers_automatic_grant_is_capped_like_an_api_grant(restriction, tree, officer):
    extra = {"birth": MINOR_BIRTH} if restriction == "minor" else {"is_sealed": True}
    person = factories.person(officer, tree.township_a1, **extra)
    grant = AccessGrant.objects.get(person=person, user=officer)
    assert 365.9 < days_left(grant) <= 366  # as an API grant at most (it was ten years)
    assert rules().access_grant_max_days == 366
    audit = AuditEvent.objects.filter(action="person.grant", target_id=str(person.pk)).get()
    assert audit.details == {"user": officer.pk, "days": 366}


def test_a_province_ceiling_caps_both_the_automatic_and_the_api_grant(
    tree, officer, county_head, province_rules, api
):
    province_rules(access_grant_max_days=30)
    minor = factories.person(officer, tree.township_a1, birth=MINOR_BIRTH)
    assert 29.9 < days_left(AccessGrant.objects.get(person=minor, user=officer)) <= 30
    grants = f"/api/v1/persons/{minor.pk}/grants"
    refused = api(county_head).post(grants, {"user_id": county_head.pk, "reason": "测试", "days": 31})
    assert refused.status_code == 422
    assert refused.json()["message"] == "授权期限应在 1 到 30 天之间"
    assert (
        api(county_head).post(grants, {"user_id": county_head.pk, "reason": "测试", "days": 30}).status_code
        == 201
    )


def test_the_officer_who_seals_a_file_keeps_it_with_a_capped_grant_and_the_answer_is_the_file(
    tree, officer, api
):
    person = factories.person(officer, tree.township_a1)
    answer = api(officer).patch(f"/api/v1/persons/{person.pk}", {"is_sealed": True})
    assert answer.status_code == 200 and answer.json()["is_sealed"] is True  # not a 404 for the change made
    grant = AccessGrant.objects.get(person=person, user=officer)
    assert 365.9 < days_left(grant) <= 366
    assert api(officer).get(f"/api/v1/persons/{person.pk}").status_code == 200
    again = api(officer).patch(f"/api/v1/persons/{person.pk}", {"is_sealed": True})
    assert again.status_code == 200 and AccessGrant.objects.filter(person=person).count() == 1
