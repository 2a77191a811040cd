"""JT/T 808 registration is bound to the first terminal: knowing a tag's number does not take it over.

A second 0x0100 for a registered terminal gets 0x8100 result 3 (terminal already registered) and no auth
code, from whichever worker it reaches; the terminal's own code keeps working; the refusal is counted and
logged, and a device alert is raised when it repeats.  Only an officer's reset (API or console, audited)
lets a terminal register afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import time

import pytest
from django.db import connection
from django.utils import timezone

from backend.core.models import AuditEvent
from backend.monitoring.models import Alert, Device, GatewayStats, Position
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"
CODE = "0123456789abcdef"
INTRUDER = {"maker": "EVIL0", "model": "CLONE", "terminal_id": "X999999"}


@pytest.fixture
def tag(tree):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0")
    )


def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def gateway_totals(key: str) -> int:
    return sum(row.counters.get(key, 0) for row in GatewayStats.objects.all())


def test_a_second_registration_from_another_connection_is_refused_and_the_first_code_keeps_working(
    tmp_path, tag
):
    when = now()
    with running_gateway(tmp_path, workers=2) as gateway:
        port = gateway.ports["jt808"]
        real = Jt808Terminal(port)
        result, code = real.register()
        assert result == 0 and real.authenticate(code) == 0
        for _ in range(6):  # new connections: the kernel spreads them over both workers
            intruder = Jt808Terminal(port)
            assert intruder.register(**INTRUDER) == (3, None)  # terminal already registered, no code
            assert intruder.location(when, 31.0, 121.0, alarm=0x1) == 1  # no fix, no SOS stored
            assert intruder.authenticate(code[::-1]) == 1
            intruder.close()
        assert real.location(when, 30.1, 120.2) == 0
        real.close()
        again = Jt808Terminal(port)
        assert again.authenticate(code) == 0  # the real terminal's code still works after reconnecting
        again.close()
        output = gateway.output()
    assert list(Position.objects.values_list("fix_time", flat=True)) == [when]
    assert not Alert.objects.filter(kind="sos").exists()
    tag.refresh_from_db()
    assert (tag.registered_maker, tag.registered_model, tag.registered_terminal_id) == (
        "TEST0",
        "TESTMODEL",
        "T000001",
    )
    assert gateway_totals("registrations_refused") == 6
    assert f"re-registration of device {tag.pk} refused" in output
    assert PHONE.lstrip("0") not in output and "X999999" not in output and "EVIL0" not in output


def test_the_same_terminal_registering_again_is_refused_too_until_an_officer_resets_it(tmp_path, tag):
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        result, code = terminal.register()
        assert result == 0
        assert terminal.register() == (3, None)  # the same maker, model and id: still refused
        assert terminal.authenticate(code) == 0
        terminal.close()


def test_repeated_refused_registrations_raise_one_device_alert_per_window(tmp_path, tag, officers):
    from tests.people import factories

    person = factories.person(officers.owner, tag.jurisdiction)
    factories.correction(officers.owner, person)
    Device.objects.filter(pk=tag.pk).update(person=person, assigned_at=timezone.now())
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"jt808_reregistration_alert_count": 2}))
    with running_gateway(tmp_path, ANBANG_RULES_FILE=str(rules)) as gateway:
        real = Jt808Terminal(gateway.ports["jt808"])
        assert real.register()[0] == 0
        intruder = Jt808Terminal(gateway.ports["jt808"])
        assert intruder.register(**INTRUDER) == (3, None)
        assert not Alert.objects.exists()  # once is counted and logged, not yet an alert
        for _ in range(4):
            assert intruder.register(**INTRUDER) == (3, None)
        intruder.close()
        real.close()
    alert = Alert.objects.get()
    assert (alert.kind, alert.device_id, alert.person_id, alert.occurrences) == (
        "registration_refused",
        tag.pk,
        person.pk,
        1,
    )
    assert alert.details == {"device": tag.pk, "attempts": 2, "window_minutes": 60, "same_terminal": False}
    assert alert.get_kind_display() == "终端被重复注册（疑似冒用）"


def test_a_terminal_using_its_provisioned_code_cannot_be_registered_over(tmp_path, tree):
    Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0"),
        auth_code_digest=hashlib.sha256(CODE.encode()).hexdigest(),
    )  # fmt: skip
    with running_gateway(tmp_path) as gateway:
        real = Jt808Terminal(gateway.ports["jt808"])
        assert real.authenticate(CODE) == 0
        intruder = Jt808Terminal(gateway.ports["jt808"])
        assert intruder.register(**INTRUDER) == (3, None)
        intruder.close()
        assert real.location(now(), 30.1, 120.2) == 0
        real.close()
        again = Jt808Terminal(gateway.ports["jt808"])
        assert again.authenticate(CODE) == 0
        again.close()


def test_after_an_officer_resets_the_registration_the_next_terminal_registers_and_binds(
    tmp_path, tag, officers, api
):
    with running_gateway(tmp_path) as gateway:
        old = Jt808Terminal(gateway.ports["jt808"])
        _, old_code = old.register()
        old.close()
        assert api(officers.outsider).post(f"/api/v1/devices/{tag.pk}/reset-registration").status_code == 404
        reset = api(officers.owner).post(f"/api/v1/devices/{tag.pk}/reset-registration")
        assert reset.status_code == 200, reset.content
        assert reset.json()["registered_at"] is None and reset.json()["registered_terminal_id"] == ""
        new = Jt808Terminal(gateway.ports["jt808"])
        result, new_code = new.register(maker="NEW01", model="M2", terminal_id="T000002")
        assert result == 0 and new.authenticate(new_code) == 0
        new.close()
        stale = Jt808Terminal(gateway.ports["jt808"])
        assert stale.authenticate(old_code) == 1  # replaced by the registration the officer allowed
        stale.close()
    tag.refresh_from_db()
    assert (tag.registered_maker, tag.registered_model, tag.registered_terminal_id) == (
        "NEW01",
        "M2",
        "T000002",
    )
    audit = AuditEvent.objects.get(action="device.reset_registration")
    assert audit.actor_id == officers.owner.pk and audit.target_id == str(tag.pk)


def test_the_registration_binding_is_shown_on_the_device(tmp_path, tag, officers, api):
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        assert terminal.register()[0] == 0
        terminal.close()
    body = api(officers.owner).get(f"/api/v1/devices/{tag.pk}").json()
    assert (body["registered_maker"], body["registered_model"], body["registered_terminal_id"]) == (
        "TEST0",
        "TESTMODEL",
        "T000001",
    )
    assert body["registered_at"] is not None


def test_a_registration_that_fails_in_the_database_closes_the_connection_and_says_so(tmp_path, tag):
    if connection.vendor != "sqlite":
        pytest.skip("the write lock held from outside is SQLite's; PostgreSQL waits for row locks instead")
    with running_gateway(tmp_path, ANBANG_SQLITE_BUSY_TIMEOUT_S="1") as gateway:
        holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
        try:
            terminal = Jt808Terminal(gateway.ports["jt808"])
            terminal.send(0x0100, registration_body())
            assert terminal.receive(timeout=15) is None  # closed, unanswered: the terminal registers again
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_until(lambda: "deferred work failed (OperationalError)" in gateway.output())
        assert PHONE not in gateway.output() and PHONE.lstrip("0") not in gateway.output()
        wait_until(lambda: gateway_closed("deferred_error") == 1)
        again = Jt808Terminal(gateway.ports["jt808"])
        result, code = again.register()
        assert result == 0 and again.authenticate(code) == 0


def registration_body() -> bytes:
    body = (11).to_bytes(2, "big") + (1).to_bytes(2, "big") + b"TEST0" + b"TESTMODEL".ljust(20, b"\0")
    return body + b"T000001" + b"\x01" + "测A00001".encode("gbk")


def gateway_closed(reason: str) -> int:
    return sum(
        row.counters.get("connections_closed", {}).get(reason, 0) for row in GatewayStats.objects.all()
    )


def wait_until(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
