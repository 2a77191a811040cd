"""GT06 and OsmAnd answer a fix only after it is committed, as JT/T 808 does (test_durability.py)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.db import connection
from django.utils import timezone

from backend.monitoring.models import Device, Position
from gps_gateway.protocols.gt06.frames import build_reply
from gps_gateway.simulate import gt06_location, osmand_query
from tests.gateway.test_durability import Lock
from tests.gateway.test_imei_protocols import GT06_IMEI, GT06_LOGIN, GT06_LOGIN_REPLY, exchange
from tests.support.gateway import issued_osmand_identifier, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SQLITE_FAILS_FAST = {"ANBANG_SQLITE_BUSY_TIMEOUT_S": "1"}


def now() -> dt.datetime:
    return timezone.now().astimezone(dt.UTC).replace(microsecond=0)


def received_within(sock: socket.socket, seconds: float) -> bytes:
    """Everything the gateway sends until it closes the connection or goes quiet for ``seconds``."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        pass
    return received


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_a_gt06_fix_is_not_acknowledged_while_the_database_cannot_commit(tmp_path, tree):
    Device.objects.create(jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier=GT06_IMEI)
    when = now()
    location, ack = gt06_location(when, 30.25, 120.125, serial=10), build_reply(0x12, 10)
    with running_gateway(tmp_path, **SQLITE_FAILS_FAST) as gateway:
        sock = connect(gateway.ports["gt06"])
        sock.sendall(GT06_LOGIN)
        assert sock.recv(64) == GT06_LOGIN_REPLY
        with Lock():
            sock.sendall(location)
            assert received_within(sock, 3) == b""
            assert not Position.objects.exists() if connection.vendor == "sqlite" else True
        if connection.vendor == "sqlite":
            # The batch failed and the connection was closed unanswered; the tag logs in again and resends.
            expected = GT06_LOGIN_REPLY + ack
            assert exchange(gateway.ports["gt06"], GT06_LOGIN + location, expect=len(expected)) == expected
        else:
            # PostgreSQL waits on the lock instead; the ack follows the commit once it is released.
            assert sock.recv(64) == ack
        sock.close()
    assert Position.objects.filter(fix_time=when).count() == 1


def test_an_osmand_fix_gets_no_200_while_the_database_cannot_commit(tmp_path, tree, officers, api):
    issued = issued_osmand_identifier(api(officers.owner), tree.township_a1)
    when = now()
    with running_gateway(tmp_path, **SQLITE_FAILS_FAST) as gateway:
        sock = connect(gateway.ports["osmand"])
        with Lock():
            sock.sendall(osmand_query(issued, when, 30.5, 120.5))
            answer = received_within(sock, 3)
        if connection.vendor == "sqlite":
            # 503 and the connection closed: the app keeps the fix and sends it again.
            assert answer.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in answer
            sock.close()
            sock = connect(gateway.ports["osmand"])
            sock.sendall(osmand_query(issued, when, 30.5, 120.5, keep_alive=False))
            assert received_within(sock, 3).startswith(b"HTTP/1.1 200 ")
        else:
            assert answer == b""  # PostgreSQL waits on the lock: the 200 follows the commit
            assert received_within(sock, 3).startswith(b"HTTP/1.1 200 ")
        sock.close()
    assert Position.objects.filter(fix_time=when).count() == 1
