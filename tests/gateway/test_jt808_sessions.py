"""JT/T 808 over real TCP: registration, authentication, ack after commit, duplicates and late fixes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, Position
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"


@pytest.fixture
def tag(tree):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0")
    )


def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def test_an_unprovisioned_terminal_gets_result_4_and_no_row(tmp_path, tree):
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"], phone="013900000009")
        assert terminal.register() == (4, None)
        assert terminal.location(now(), 30.1, 120.2) == 1  # failure: never authenticated
        terminal.close()
    assert not Device.objects.exists() and not Position.objects.exists()


def test_a_registered_terminal_authenticates_and_its_fix_is_stored_before_the_ack(tmp_path, tag):
    when = now()
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        result, code = terminal.register()
        assert result == 0 and len(code) == 16
        assert terminal.authenticate(code) == 0
        assert terminal.location(when, 30.123456, 120.654321, speed_kmh=36) == 0
        # The ack came back, so the row must already be committed.
        stored = Position.objects.get(device=tag)
        assert stored.point == [30.123456, 120.654321] and stored.fix_time == when and stored.speed_kmh == 36
        terminal.close()
    tag.refresh_from_db()
    assert tag.auth_code_digest and code not in tag.auth_code_digest and tag.registered_at is not None


def test_data_before_authentication_is_refused(tmp_path, tag):
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        assert terminal.location(now(), 30.1, 120.2) == 1
        assert terminal.authenticate("guessed-code") == 1
        assert terminal.location(now(), 30.1, 120.2) == 1
        terminal.close()
    assert not Position.objects.exists()


def test_a_terminal_reconnects_with_its_code_without_registering_again(tmp_path, tag):
    with running_gateway(tmp_path) as gateway:
        first = Jt808Terminal(gateway.ports["jt808"])
        _, code = first.register()
        first.close()
        again = Jt808Terminal(gateway.ports["jt808"])
        assert again.authenticate(code) == 0
        assert again.location(now(), 30.1, 120.2) == 0
        again.close()
    assert Position.objects.count() == 1


def test_a_resent_fix_is_stored_once_and_acknowledged_each_time(tmp_path, tag):
    when = now()
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.location(when, 30.1, 120.2) == 0
        assert terminal.location(when, 30.1, 120.2) == 0
        terminal.close()
    assert Position.objects.count() == 1


def test_an_older_fix_is_stored_and_flagged_late(tmp_path, tag):
    newer = now()
    older = newer - dt.timedelta(minutes=5)
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.location(newer, 30.1, 120.2) == 0
        assert terminal.location(older, 30.1005, 120.2005) == 0
        terminal.close()
    assert dict(Position.objects.values_list("fix_time", "late")) == {newer: False, older: True}


def test_impossible_fixes_are_acknowledged_counted_and_not_stored(tmp_path, tag):
    from backend.monitoring.models import GatewayStats

    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.location(now() + dt.timedelta(hours=2), 30.1, 120.2) == 0  # future
        assert terminal.location(now(), 0.0, 0.0) == 0  # (0, 0)
        assert terminal.location(now() - dt.timedelta(weeks=1024), 30.1, 120.2) == 0  # GPS week rollover
        assert terminal.location(now(), 30.1, 120.2) == 0
        terminal.close()
    assert Position.objects.count() == 1
    rejected = GatewayStats.objects.get().counters["rejected"]
    # An impossible jump is stored flagged, not refused: tests/gateway/test_implausible_fixes.py.
    assert rejected == {"future": 1, "null_island": 1, "week_rollover": 1}


def test_an_sos_without_a_fix_is_still_stored_as_an_alarm(tmp_path, tag):
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.location(now(), 0.0, 0.0, alarm=0x1, valid=False) == 0
        terminal.close()
    stored = Position.objects.get()
    assert stored.alarms == "sos" and stored.point is None and not stored.valid


def test_garbage_is_counted_and_the_connection_closed(tmp_path, tag):
    import socket

    with running_gateway(tmp_path) as gateway:
        sock = socket.create_connection(("127.0.0.1", gateway.ports["jt808"]), timeout=10)
        for _ in range(20):
            sock.sendall(b"\x7e" + b"\x01\x02\x03" * 10 + b"\x7e" + b"not a frame at all " * 20)
        sock.settimeout(10)
        closed = False
        try:
            while sock.recv(4096):
                pass
            closed = True
        except ConnectionResetError:
            closed = True
        assert closed
        # The gateway is still serving others.
        terminal = Jt808Terminal(gateway.ports["jt808"])
        assert terminal.authenticate(terminal.register()[1]) == 0
        terminal.close()


def test_a_blind_area_batch_is_stored_as_archive_and_acknowledged_once(tmp_path, tag):
    from gps_gateway.simulate import jt808_location_body

    base = now() - dt.timedelta(minutes=30)
    items = [jt808_location_body(base + dt.timedelta(minutes=n), 30.1 + n * 1e-4, 120.2) for n in range(5)]
    body = (len(items)).to_bytes(2, "big") + b"\x01" + b"".join(len(i).to_bytes(2, "big") + i for i in items)
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.general_result(terminal.send(0x0704, body), 0x0704) == 0
        terminal.close()
    rows = list(Position.objects.order_by("fix_time").values_list("fix_time", "archive"))
    assert rows == [(base + dt.timedelta(minutes=n), True) for n in range(5)]


def test_an_sos_from_a_worn_tag_opens_one_critical_alert_for_the_person(tmp_path, tag, officers):
    from backend.monitoring.models import Alert
    from tests.people import factories

    person = factories.person(officers.owner, tag.jurisdiction)
    case = factories.correction(officers.owner, person)
    order_in_force(case)  # a tag is worn only under an Art. 29 order
    Device.objects.filter(pk=tag.pk).update(person=person, assigned_at=timezone.now())
    with running_gateway(tmp_path) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        terminal.authenticate(terminal.register()[1])
        assert terminal.location(now(), 0.0, 0.0, alarm=0x1, valid=False) == 0  # SOS without a fix
        assert (
            terminal.location(now() + dt.timedelta(seconds=5), 30.1, 120.2, alarm=0x1) == 0
        )  # pressed again
        terminal.close()
    alert = Alert.objects.get()
    assert (alert.kind, alert.severity, alert.person_id, alert.owner_id) == (
        "sos",
        "critical",
        person.pk,
        case.officer_id,
    )
    assert alert.occurrences == 2


def order_in_force(case, *, ends_on: dt.date | None = None):
    from backend.monitoring.models import LocationOrder

    today = timezone.localdate()
    return LocationOrder.objects.create(
        person=case.person, case=case, ground="2", facts="测试", decision="approved", decided_by=case.officer,
        approved_on=today, starts_on=today - dt.timedelta(days=10), ends_on=ends_on or today + dt.timedelta(days=30),
        notice_signed_on=today - dt.timedelta(days=10), proposed_by=case.officer,
    )  # fmt: skip
