"""Nothing acknowledged is ever lost: no ack before commit, and a kill -9 loses no acknowledged fix."""

from __future__ import annotations

import datetime as dt
import hashlib
import signal
import sqlite3
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from backend.monitoring.models import Device, Position
from tests.support.gateway import Jt808Terminal, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
CODE = "0123456789abcdef"


def provision_terminals(tree, count: int) -> list[str]:
    phones = [f"0139{n:08d}" for n in range(count)]
    Device.objects.bulk_create(
        Device(jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=p.lstrip("0"),
               auth_code_digest=hashlib.sha256(CODE.encode()).hexdigest())
        for p in phones
    )  # fmt: skip
    return phones


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Lock:
    """Hold the database's write lock (SQLite) or lock the positions table (PostgreSQL) from outside."""

    def __enter__(self):
        db = connection.settings_dict
        if connection.vendor == "sqlite":
            self.conn = sqlite3.connect(db["NAME"], isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            self.conn = psycopg.connect(
                host=db["HOST"],
                port=db["PORT"],
                user=db["USER"],
                password=db["PASSWORD"] or None,
                dbname=db["NAME"],
            )
            self.conn.execute("LOCK TABLE monitoring_position IN ACCESS EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc):
        self.conn.rollback() if connection.vendor != "sqlite" else self.conn.execute("ROLLBACK")
        self.conn.close()


def test_no_ack_is_sent_while_the_database_cannot_commit(tmp_path, tree):
    provision_terminals(tree, 1)
    when = timezone.now().replace(microsecond=0)
    with running_gateway(tmp_path, ANBANG_SQLITE_BUSY_TIMEOUT_S="1") as gateway:
        terminal = Jt808Terminal(gateway.ports["jt808"], phone="013900000000")
        assert terminal.authenticate(CODE) == 0
        with Lock():
            assert (
                terminal.location(when, 30.1, 120.2, timeout=3) is None
            )  # nothing acknowledged while locked
            assert not Position.objects.exists() if connection.vendor == "sqlite" else True
        if connection.vendor == "sqlite":
            # The batch failed after the busy timeout and the connection was dropped unacknowledged;
            # the terminal resends on a new connection, as real terminals do.
            terminal = Jt808Terminal(gateway.ports["jt808"], phone="013900000000")
            assert terminal.authenticate(CODE) == 0
            assert terminal.location(when, 30.1, 120.2) == 0
        else:
            # PostgreSQL waits on the lock instead; the ack follows the commit once it is released.
            assert terminal.general_result(terminal.serial, 0x0200) == 0
        terminal.close()
    assert Position.objects.filter(fix_time=when).count() == 1


def test_kill_9_mid_stream_loses_no_acknowledged_fix(tmp_path, tree):
    phones = provision_terminals(tree, 20)
    base = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    acked: dict[str, list[dt.datetime]] = {p: [] for p in phones}
    sent: dict[str, list[dt.datetime]] = {p: [] for p in phones}
    stop = threading.Event()

    def drive(port: int, phone: str, start: int) -> None:
        try:
            terminal = Jt808Terminal(port, phone=phone)
            if terminal.authenticate(CODE) != 0:
                return
            for n in range(start, 10_000):
                if stop.is_set():
                    break
                when = base + dt.timedelta(seconds=n)
                sent[phone].append(when)
                if terminal.location(when, 30.1 + n * 1e-5, 120.2, timeout=5) != 0:
                    break
                acked[phone].append(when)
        except OSError:
            pass  # the gateway died under us: exactly the situation being tested

    # Two worker processes, so the kill also proves the workers die with the gateway they belong to.
    with running_gateway(tmp_path, workers=2) as gateway:
        threads = [threading.Thread(target=drive, args=(gateway.ports["jt808"], p, 0)) for p in phones]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        gateway.process.send_signal(signal.SIGKILL)
        gateway.process.wait()
        stop.set()
        for thread in threads:
            thread.join(10)
    total_acked = sum(len(v) for v in acked.values())
    assert total_acked > 100, "the load must have been running when the gateway was killed"
    time.sleep(0.5)
    assert not _listening(gateway.ports["jt808"]), "a worker outlived the killed gateway"
    stored = {(d, t) for d, t in Position.objects.values_list("device__identifier", "fix_time")}
    lost = [(p, t) for p, times in acked.items() for t in times if (p.lstrip("0"), t) not in stored]
    assert lost == [], f"{len(lost)} acknowledged fixes lost"

    # Restarted, every terminal resends what was not acknowledged; each fix ends up stored exactly once.
    stop.clear()
    with running_gateway(tmp_path) as gateway:
        for phone in phones:
            terminal = Jt808Terminal(gateway.ports["jt808"], phone=phone)
            assert terminal.authenticate(CODE) == 0
            for when in sent[phone]:
                if when not in acked[phone]:
                    assert terminal.location(when, 30.1, 120.2) == 0
            terminal.close()
    assert Position.objects.count() == sum(len(v) for v in sent.values())
