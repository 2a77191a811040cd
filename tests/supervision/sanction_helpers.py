"""Helpers for sanction tests: the county officer who decides a county-decided kind (警告, 提请治安处罚,
提请撤销: rules ``sanction_county_decides_*``), so a test of the ladder records decided steps."""

from __future__ import annotations

from backend.core.models import Role, User
from backend.people.models import Case
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import Sanction
from backend.supervision.sanction_tiers import county_decides, deciding_county
from tests.conftest import make_user


def county_officer_of(case: Case) -> User:
    county = deciding_county(case)
    name = f"county_officer_{county.pk}"
    return User.objects.filter(username=name).first() or make_user(name, county, Role.COUNTY_OFFICER)


def decided(officer: User, case: Case, kind: str, **values) -> Sanction:
    """A decided step: a county-decided kind is recorded by the case's county officer (by a 司法所 officer it
    would be a proposal: tests/supervision/test_sanction_proposals.py)."""
    by = county_officer_of(case) if county_decides(kind) else officer
    return record_sanction(by=by, case=case, kind=kind, **values)
