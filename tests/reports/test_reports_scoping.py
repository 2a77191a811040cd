"""Every report endpoint with the trio (owner 200, colleague in another 司法所 404, outsider 404)."""

from __future__ import annotations

import pytest

from backend.core.models import AuditEvent
from tests.core.test_scoping import Case, run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(tree, officers) -> dict:
    person = factories.person(officers.owner, tree.township_a1)
    factories.correction(officers.owner, person)
    return {"person": person, "office": tree.township_a1}


ENDPOINTS = {
    "person file": Case("GET", lambda o: f"/api/v1/reports/person/{o['person'].pk}.pdf"),
    "person file with a track period": Case(
        "GET", lambda o: f"/api/v1/reports/person/{o['person'].pk}.pdf?from=2026-11-01&to=2026-11-30"
    ),
    "monthly statistics": Case(
        "GET", lambda o: f"/api/v1/reports/monthly.pdf?jurisdiction={o['office'].code}&month=2026-10"
    ),
    "alert log (PDF)": Case(
        "GET",
        lambda o: f"/api/v1/reports/alerts.pdf?jurisdiction={o['office'].code}&from=2026-10-01&to=2026-10-31",
    ),
    "alert log (CSV)": Case(
        "GET",
        lambda o: f"/api/v1/reports/alerts.csv?jurisdiction={o['office'].code}&from=2026-10-01&to=2026-10-31",
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_report_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [200, 404, 404]
    # Only the owner's download happened, and it left exactly one audit row.
    exports = AuditEvent.objects.filter(action__startswith="report.")
    assert [(e.actor_id) for e in exports] == [officers.owner.pk]


def test_an_anonymous_request_is_401(objects, api):
    assert api(None).get(ENDPOINTS["person file"].path(objects)).status_code == 401
