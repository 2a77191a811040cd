"""The person page names each case's status in its own kind's words: 在矫 for a correction case, 帮教中 for
aftercare, 在管 for mental health — not the combined code label "在矫/在管/帮教中"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from backend.people.actions.transitions import transition_case
from backend.people.models import CaseStatus
from tests.people import factories

pytestmark = pytest.mark.django_db


def badges(page: str) -> list[str]:
    return [part.split("</span>", 1)[0] for part in page.split('<span class="badge">')[1:]]


def test_each_active_case_shows_its_own_kinds_status(tree, officers):
    owner = officers.owner
    person = factories.person(owner, tree.township_a1)
    today = dt.date.today()
    correction = factories.correction(owner, person, judgment_effective_on=today, term_start=today)
    correction = transition_case(by=owner, case=correction, action="report", effective_on=today)
    aftercare = transition_case(
        by=owner, case=factories.aftercare(owner, person), action="hand_over", effective_on=today
    )
    mental = factories.mental_health(owner, person)
    assert {c.status for c in (correction, aftercare, mental)} == {CaseStatus.ACTIVE}
    client = Client()
    client.force_login(owner)
    page = client.get(f"/console/people/{person.pk}/").content.decode()
    shown = badges(page)
    assert "在矫/在管/帮教中" not in page
    assert {"在矫", "帮教中", "在管"} <= set(shown)
