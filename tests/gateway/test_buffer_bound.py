"""A connection cannot make the gateway hold an endless partial frame: past 64 KiB it is closed and counted."""

from __future__ import annotations

import asyncio
import socket

import pytest

from backend.monitoring.ingest.directory import DeviceDirectory
from backend.monitoring.ingest.writer import BatchWriter
from backend.monitoring.models import Device, GatewayStats
from gps_gateway.server import ConnectionLimits, Gateway
from gps_gateway.stats import GatewayCounters
from tests.gateway.test_imei_protocols import exchange
from tests.support.gateway import running_gateway

WATCH_ID = "9705141740"
HEARTBEAT = f"[3G*{WATCH_ID}*0002*LK]".encode()  # answered with the same LK


def closed_by_peer(sock: socket.socket, timeout: float = 10) -> bool:
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_more_than_64_kib_without_a_frame_end_closes_the_connection_and_others_go_on(tmp_path, tree):
    Device.objects.create(jurisdiction=tree.township_a1, kind="watch", protocol="watch", identifier=WATCH_ID)
    with running_gateway(tmp_path) as gateway:
        with socket.create_connection(("127.0.0.1", gateway.ports["watch"]), timeout=10) as sock:
            try:
                sock.sendall(b"[3G*" + b"0" * (64 * 1024 + 100))  # a frame that never ends
            except ConnectionResetError:
                pass  # closed while we were still sending: what is being tested
            assert closed_by_peer(sock)
        assert exchange(gateway.ports["watch"], HEARTBEAT, expect=len(HEARTBEAT)) == HEARTBEAT
    counters = GatewayStats.objects.get().counters
    assert counters["closed_for_garbage"] == 1 and counters["connections_total"] == {"watch": 2}


def test_a_partial_frame_past_the_buffer_bound_is_counted_malformed_and_the_connection_closed():
    # Every splitter drops a partial frame longer than its own limit first (Watch's is 64 KiB, the same
    # as the default bound), so the bound is shown here with a smaller one and a frame still arriving.
    counters = GatewayCounters()
    limits = ConnectionLimits(max_buffer=4096)
    gateway = Gateway(DeviceDirectory(), BatchWriter(counters), counters, limits=limits)

    async def send_a_long_partial_frame() -> bytes:
        server = await gateway.listen("watch", "127.0.0.1", 0)
        reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
        writer.write(f"[3G*{WATCH_ID}*ffff*UD,".encode() + b"0" * 5000)  # the length says 64 KiB will come
        answer = await asyncio.wait_for(reader.read(), 5)  # b"" once the gateway has closed it
        writer.close()
        await gateway.close()
        return answer

    assert asyncio.run(send_a_long_partial_frame()) == b""
    assert counters.malformed == {"watch": 1} and counters.closed_for_garbage == 0
