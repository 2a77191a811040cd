from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from backend.core.demo import LOGINS, demo_password
from backend.core.models import Jurisdiction, Role, User
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_county_with_three_offices_and_ten_communities():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    county = Jurisdiction.objects.get(level=Jurisdiction.Level.COUNTY)
    assert Jurisdiction.objects.subtree(county).filter(level=Jurisdiction.Level.TOWNSHIP).count() == 3
    assert Jurisdiction.objects.subtree(county).filter(level=Jurisdiction.Level.GRID).count() == 10
    assert {role for login in LOGINS for role in [login.role]} == set(Role)
    assert "demo_admin" in out.getvalue() and demo_password() in out.getvalue()


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    before = (Jurisdiction.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Jurisdiction.objects.count(), User.objects.count()) == before


def test_demo_identities_are_obviously_synthetic():
    call_command("seed_demo", stdout=io.StringIO())
    # 99 is not a province code; every demo name says 演示.
    assert all(code.startswith("99") for code in Jurisdiction.objects.values_list("code", flat=True))
    assert all("演示" in name for name in User.objects.values_list("display_name", flat=True))


def test_demo_logins_work_with_the_printed_password():
    call_command("seed_demo", stdout=io.StringIO())
    client = ApiClient(None)
    token = client.client.get("/api/v1/auth/csrf").json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login",
        {"username": "demo_officer_dc", "password": demo_password()},
        **{"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_seed_demo_adds_sixty_people_across_the_three_kinds_with_active_teams():
    from backend.people.models import Case, Person, Team

    call_command("seed_demo", stdout=io.StringIO())
    assert Person.objects.count() == 60
    kinds = set(Case.objects.values_list("kind", flat=True))
    assert kinds == {"correction", "aftercare", "mental_health"}
    assert Team.objects.filter(activated_at__isnull=False).count() >= 45
    assert Case.objects.filter(status="pending_report").exists()  # someone to remind, someone overdue
    call_command("seed_demo", stdout=io.StringIO())
    assert Person.objects.count() == 60


def test_the_demo_has_proposals_waiting_for_the_countys_decision_and_a_second_run_adds_none():
    from backend.monitoring.models import LocationOrder
    from backend.supervision.models import Sanction

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    assert list(LocationOrder.objects.values_list("decision", flat=True)) == ["proposed"]
    assert list(Sanction.objects.filter(state="proposed").values_list("kind", flat=True)) == ["warning"]
    head = ApiClient(User.objects.get(username="demo_county_head"))
    assert head.get("/api/v1/location-orders?decision=proposed").json()["items"]
