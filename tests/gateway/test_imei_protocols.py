"""GT06, H02 and Watch over real TCP: provisioned IMEIs only, acks after commit, unknown ones ignored."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, GatewayStats, Position
from gps_gateway.simulate import gt06_location
from tests.support.gateway import running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GT06_IMEI = "864717003283581"
GT06_LOGIN = bytes.fromhex("78780D01086471700328358100093F040D0A")  # GT06 0x01 login, BCD IMEI, serial 9
GT06_LOGIN_REPLY = bytes.fromhex("787805010009559 40D0A".replace(" ", ""))


def exchange(port: int, payload: bytes, *, expect: int | None, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        received = b""
        try:
            while expect is None or len(received) < expect:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        except TimeoutError:
            pass
        return received


@pytest.fixture
def devices(tree):
    for protocol, identifier in (("gt06", GT06_IMEI), ("h02", "4970105243"), ("watch", "9705141740")):
        Device.objects.create(
            jurisdiction=tree.township_a1, kind="tag", protocol=protocol, identifier=identifier
        )


def test_a_gt06_tag_logs_in_and_its_fix_is_acknowledged_after_commit(tmp_path, devices):
    when = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    with running_gateway(tmp_path) as gateway:
        with socket.create_connection(("127.0.0.1", gateway.ports["gt06"]), timeout=10) as sock:
            sock.sendall(GT06_LOGIN)
            assert sock.recv(64) == GT06_LOGIN_REPLY
            sock.sendall(gt06_location(when, 30.25, 120.125, serial=10))
            sock.settimeout(3)
            try:
                sock.recv(64)  # 0x12 may or may not be answered, depending on firmware; either is fine
            except TimeoutError:
                pass
    stored = Position.objects.get(device__protocol="gt06")
    assert stored.fix_time == when and [round(c, 5) for c in stored.point] == [30.25, 120.125]


def test_an_unknown_gt06_imei_gets_no_answer_and_no_row(tmp_path, tree):
    with running_gateway(tmp_path) as gateway:
        assert exchange(gateway.ports["gt06"], GT06_LOGIN, expect=None, timeout=3) == b""
    assert not Device.objects.exists() and not Position.objects.exists()
    assert GatewayStats.objects.get().counters["unknown_devices"] == {"gt06": 1}


def test_an_h02_report_and_a_watch_report_are_stored(tmp_path, devices):
    now = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    h02 = f"*HQ,4970105243,V1,{now:%H%M%S},A,2235.1777,N,11357.8913,E,000.27,235,{now:%d%m%y},FFFFFBFF,460,11,d18e105,7752,6#"
    content = f"UD,{now:%d%m%y},{now:%H%M%S},A,32.162652,N,34.888748,E,30.84,265.158,65.621,18,100,83,0,0,00000000,1,1,425,01,10223,8012811,100"
    watch = f"[3G*9705141740*{len(content):04x}*{content}]"
    with running_gateway(tmp_path) as gateway:
        exchange(gateway.ports["h02"], h02.encode(), expect=None, timeout=2)
        assert (
            exchange(gateway.ports["watch"], watch.encode(), expect=None, timeout=2) == b""
        )  # UD needs no reply
    rows = {p.device.protocol: p for p in Position.objects.select_related("device")}
    assert set(rows) == {"h02", "watch"}
    assert rows["h02"].fix_time == now and round(rows["h02"].point[0], 4) == round(22 + 35.1777 / 60, 4)
    assert rows["watch"].point == [32.162652, 34.888748] and rows["watch"].battery_pct == 83
