"""Shared by the writer tests: one provisioned tag."""

from __future__ import annotations

import pytest

from backend.monitoring.models import Device


@pytest.fixture
def device(tree):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier="864717003283581"
    )
