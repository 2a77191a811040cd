from __future__ import annotations

import pytest

from backend.core.models import Role
from tests.conftest import make_user


@pytest.fixture
def officer(tree):
    return make_user("officer_a1", tree.township_a1, Role.TOWNSHIP_OFFICER)


@pytest.fixture
def health_worker(tree):
    return make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)


@pytest.fixture
def county_head(tree):
    return make_user("head_a", tree.county_a, Role.COUNTY_HEAD)
