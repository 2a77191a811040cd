"""Two worker processes, one fleet: whichever worker a device reconnects to knows what the other did.

The kernel hands each new connection to either worker (``SO_REUSEPORT``), and each worker keeps its own
device directory.  Twelve or twenty reconnections all land on the worker of the first connection with
probability 2^-12 or 2^-20, so each test below crosses between the workers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import socket

import pytest
from django.utils import timezone

from backend.monitoring.ingest.directory import DeviceDirectory
from backend.monitoring.models import Device, Position
from gps_gateway.identifiers import osmand_digest
from gps_gateway.simulate import gt06_location
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"
CODE = "0123456789abcdef"
GT06_IMEI = "864717003283581"
GT06_LOGIN = bytes.fromhex("78780D01086471700328358100093F040D0A")  # GT06 0x01 login, BCD IMEI, serial 9
RECONNECTIONS = 12


def jt808_tag(tree, code: str | None = CODE) -> Device:
    digest = hashlib.sha256(code.encode()).hexdigest() if code else ""
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0"),
        auth_code_digest=digest,
    )  # fmt: skip


def newest_and_older(device: Device, newest: dt.datetime) -> tuple[bool, list[bool]]:
    """The newest fix's late flag, and the older ones' in the order they were sent."""
    rows = Position.objects.filter(device=device).order_by("-fix_time")
    flags = [p.late for p in rows]
    assert len(flags) == RECONNECTIONS + 1 and rows[0].fix_time == newest
    return flags[0], flags[1:]


def test_a_terminal_registered_through_one_worker_authenticates_through_either_at_once(tmp_path, tree):
    jt808_tag(tree, code=None)
    with running_gateway(tmp_path, workers=2) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        result, code = terminal.register()
        terminal.close()
        assert result == 0 and code
        results = []
        for _ in range(20):  # straight away: no wait for the other worker's periodic refresh
            terminal = Jt808Terminal(gateway.ports["jt808"])
            results.append(terminal.authenticate(code))
            terminal.close()
    assert results == [0] * 20


def test_a_jt808_fix_older_than_one_stored_through_the_other_worker_is_flagged_late(tmp_path, tree):
    device = jt808_tag(tree)
    newest = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    with running_gateway(tmp_path, workers=2) as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"])
        assert terminal.authenticate(CODE) == 0 and terminal.location(newest, 30.1, 120.2) == 0
        terminal.close()
        for k in range(1, RECONNECTIONS + 1):
            terminal = Jt808Terminal(gateway.ports["jt808"])
            assert terminal.authenticate(CODE) == 0
            assert terminal.location(newest - dt.timedelta(minutes=k), 30.1, 120.2) == 0
            terminal.close()
    assert newest_and_older(device, newest) == (False, [True] * RECONNECTIONS)


def test_a_gt06_fix_older_than_one_stored_through_the_other_worker_is_flagged_late(tmp_path, tree):
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier=GT06_IMEI
    )
    newest = timezone.now().astimezone(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    with running_gateway(tmp_path, workers=2) as gateway:
        for k in range(RECONNECTIONS + 1):
            with socket.create_connection(("127.0.0.1", gateway.ports["gt06"]), timeout=10) as sock:
                sock.sendall(GT06_LOGIN)
                assert sock.recv(64)  # the login reply
                sock.sendall(gt06_location(newest - dt.timedelta(minutes=k), 30.25, 120.125, serial=10 + k))
                assert sock.recv(64)  # the echo, sent after the commit
    assert newest_and_older(device, newest) == (False, [True] * RECONNECTIONS)


def test_an_osmand_fix_older_than_one_stored_through_the_other_worker_is_flagged_late(tmp_path, tree):
    issued = "synthetic-osmand-identifier-0001"
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="phone", protocol="osmand", identifier=osmand_digest(issued)
    )
    newest = int(timezone.now().timestamp()) - 60
    with running_gateway(tmp_path, workers=2) as gateway:
        for k in range(RECONNECTIONS + 1):
            conn = http.client.HTTPConnection("127.0.0.1", gateway.ports["osmand"], timeout=10)
            conn.request("GET", f"/?id={issued}&timestamp={newest - 60 * k}&lat=30.5&lon=120.5")
            assert conn.getresponse().status == 200
            conn.close()
    expected = dt.datetime.fromtimestamp(newest, dt.UTC)
    assert newest_and_older(device, expected) == (False, [True] * RECONNECTIONS)


def test_a_new_auth_code_reaches_a_directory_loaded_before_it_at_the_next_refresh(tree):
    device = jt808_tag(tree)
    Device.objects.filter(pk=device.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    directory = DeviceDirectory()
    directory.refresh()
    digest = hashlib.sha256(b"fedcba9876543210").hexdigest()
    DeviceDirectory().claim_registration(device.pk, {}, digest)  # as another worker's registration
    directory.refresh()
    assert directory.get("jt808", PHONE.lstrip("0")).auth_code_digest == digest


def test_a_device_retired_meanwhile_is_dropped_when_a_connection_names_it(tree):
    device = jt808_tag(tree)
    directory = DeviceDirectory()
    directory.refresh()
    known = directory.get("jt808", PHONE.lstrip("0"))
    Device.objects.filter(pk=device.pk).update(retired_at=timezone.now())
    assert directory.sync(known) is None
    assert directory.get("jt808", PHONE.lstrip("0")) is None
