"""Over real sockets: a frame a decoder refuses (a JT/T 808 length field that disagrees, an H02 or Watch
message cut short, a Watch length of 0001) is neither acknowledged nor stored, and is counted by reason;
an OsmAnd fix with a free-text alarm is stored without the alarm, and the dropped alarm is counted."""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import time

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, GatewayStats, Position
from gps_gateway.protocols import jt808
from gps_gateway.protocols.jt808.frames import checksum
from gps_gateway.simulate import jt808_location_body
from tests.support.gateway import authenticated_terminal, issued_osmand_identifier, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"
H02_ID, WATCH_ID = "4210051415", "9705141740"


def wire(msg_id: int, serial: int, body: bytes, length_field: int) -> bytes:
    payload = msg_id.to_bytes(2, "big") + length_field.to_bytes(2, "big") + bytes.fromhex(PHONE)
    payload += serial.to_bytes(2, "big") + body
    return b"\x7e" + jt808.escape(payload + bytes([checksum(payload)])) + b"\x7e"


def h02_v1(when: dt.datetime) -> bytes:
    return (
        f"*HQ,{H02_ID},V1,{when:%H%M%S},A,3015.0000,N,12007.5000,E,000.00,000,{when:%d%m%y},FFFFFBFF#"
    ).encode()


def silent(sock: socket.socket, seconds: float) -> bool:
    """True if nothing comes back within ``seconds`` and the connection stays open."""
    sock.settimeout(seconds)
    try:
        sock.recv(256)
    except TimeoutError:
        return True
    return False


def test_refused_frames_are_not_acked_nor_stored_and_are_counted_by_reason(tmp_path, tree, officers, api):
    tag = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0")
    )
    for protocol, identifier in (("h02", H02_ID), ("watch", WATCH_ID)):
        Device.objects.create(
            jurisdiction=tree.township_a1, kind="tag", protocol=protocol, identifier=identifier
        )
    issued = issued_osmand_identifier(api(officers.owner), tree.township_a1)
    when = timezone.now().astimezone(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    with running_gateway(tmp_path) as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], phone=PHONE)
        body = jt808_location_body(when, 30.1, 120.2)
        terminal.sock.sendall(wire(0x0200, 50, body, len(body) + 3))  # the field says 3 bytes more
        assert terminal.receive(timeout=2) is None  # no 0x8001 for it
        assert terminal.location(when + dt.timedelta(seconds=1), 30.1, 120.2) == 0  # the connection goes on
        terminal.close()

        with socket.create_connection(("127.0.0.1", gateway.ports["h02"]), timeout=10) as sock:
            full = h02_v1(when)
            sock.sendall(full[: full.index(b",FFFFFBFF")] + b"#")  # cut before the status word
            sock.sendall(h02_v1(when + dt.timedelta(seconds=1)))
            time.sleep(1)

        with socket.create_connection(("127.0.0.1", gateway.ports["watch"]), timeout=10) as sock:
            ud = (
                f"UD,{when:%d%m%y},{when:%H%M%S},A,30.25,N,120.125,E,0.0,0,0,8,80,90,0,0,00000000,0,0,460,0,0"
            )
            sock.sendall(f"[3G*{WATCH_ID}*0001*{ud}]".encode())
            assert silent(sock, 1)
            sock.sendall(f"[3G*{WATCH_ID}*0002*LK]".encode())
            assert sock.recv(64) == f"[3G*{WATCH_ID}*0002*LK]".encode()

        conn = http.client.HTTPConnection("127.0.0.1", gateway.ports["osmand"], timeout=10)
        stamp = int(when.timestamp())
        conn.request("GET", f"/?id={issued}&timestamp={stamp}&lat=30.5&lon=120.5&alarm=call%20me%20at%20home")
        assert conn.getresponse().status == 200
        conn.close()
        time.sleep(1.5)
    stored = {row.device.protocol: row for row in Position.objects.select_related("device")}
    assert Position.objects.filter(device=tag).count() == 1
    assert stored["h02"].fix_time == when + dt.timedelta(seconds=1) and "watch" not in stored
    assert stored["osmand"].point == [30.5, 120.5] and not stored["osmand"].alarms
    counters = GatewayStats.objects.get().counters
    assert counters["frames_refused"] == {
        "jt808_length_mismatch": 1,
        "h02_cut_short": 1,
        "watch_length_field": 1,
    }
    assert counters["unknown_alarms"] == {"osmand": 1}
