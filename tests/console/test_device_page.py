"""One device's console page: its JT/T 808 registration binding, the officer's reset (audited), and how many
impossible jumps it reported lately."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.monitoring.models import Device, Position
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def terminal(tree):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier="13800138001",
        registered_at=timezone.now(), registered_maker="TEST0", registered_model="TESTMODEL",
        registered_terminal_id="T000001", refused_registrations=4, refused_registrations_since=timezone.now(),
    )  # fmt: skip


def test_the_device_page_shows_who_registered_and_the_refused_re_registrations(terminal, officers):
    page = signed_in(officers.owner).get(f"/console/devices/{terminal.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "TEST0" in text and "TESTMODEL" in text and "T000001" in text
    assert "被拒的重复注册</dt><dd>4 次" in text and 'id="reset-registration-form"' in text


def test_an_officer_resets_the_registration_from_the_device_page_and_it_is_audited(terminal, officers):
    client = signed_in(officers.owner)
    response = client.post(f"/console/devices/{terminal.pk}/reset-registration")
    assert response.status_code == 302 and response["Location"] == f"/console/devices/{terminal.pk}/"
    terminal.refresh_from_db()
    assert terminal.registered_at is None and terminal.registered_terminal_id == ""
    assert terminal.refused_registrations == 0 and terminal.auth_code_digest == ""  # the code is not touched
    audit = AuditEvent.objects.get(action="device.reset_registration")
    assert audit.actor_id == officers.owner.pk and audit.target_id == str(terminal.pk)
    assert "已重置终端注册" in client.get(response["Location"]).content.decode()


def test_out_of_reach_or_without_the_role_the_page_and_the_reset_are_refused(terminal, officers, tree):
    assert signed_in(officers.outsider).get(f"/console/devices/{terminal.pk}/").status_code == 404
    assert (
        signed_in(officers.outsider).post(f"/console/devices/{terminal.pk}/reset-registration").status_code
        == 404
    )
    member = make_user("member", tree.township_a1, Role.TEAM_MEMBER)
    assert signed_in(member).post(f"/console/devices/{terminal.pk}/reset-registration").status_code == 403
    assert (
        signed_in(officers.owner).get(f"/console/devices/{terminal.pk}/reset-registration").status_code == 405
    )
    terminal.refresh_from_db()
    assert terminal.registered_at is not None and not AuditEvent.objects.filter(
        action="device.reset_registration"
    )


def test_a_device_that_is_not_jt808_cannot_be_reset(tree, officers):
    watch = Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283581"
    )
    client = signed_in(officers.owner)
    assert "终端注册" not in client.get(f"/console/devices/{watch.pk}/").content.decode()
    response = client.post(f"/console/devices/{watch.pk}/reset-registration", follow=True)
    assert "只有 JT/T 808 终端需要注册" in response.content.decode()


def test_the_device_page_counts_impossible_jumps_of_the_last_week(terminal, officers):
    now = timezone.now().replace(microsecond=0)
    for minutes, implausible in ((1, True), (2, True), (3, False), (60 * 24 * 8, True)):
        Position.objects.create(
            device=terminal, fix_time=now - dt.timedelta(minutes=minutes), received_at=now, point=[30.1, 120.2],
            valid=True, source="gnss", implausible=implausible,
        )  # fmt: skip
    text = signed_in(officers.owner).get(f"/console/devices/{terminal.pk}/").content.decode()
    assert "近 7 天有 <b>2</b> 个定位点" in text
