"""Connection handling: idle timeouts, a burst of 10,000 connections, the stats endpoint."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from backend.monitoring.models import Device, GatewayStats
from gps_gateway.protocols.jt808.frames import build_frame, split_frames
from tests.support.gateway import running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("protocol", ["jt808", "osmand"])
def test_an_idle_connection_is_closed(tmp_path, tree, protocol):
    with running_gateway(tmp_path, ANBANG_GATEWAY_IDLE_TIMEOUT_S="1") as gateway:
        sock = socket.create_connection(("127.0.0.1", gateway.ports[protocol]), timeout=10)
        started = time.monotonic()
        assert sock.recv(16) == b""  # closed by the gateway, not by us
        assert 0.8 < time.monotonic() - started < 5
        sock.close()


def test_a_burst_of_10000_connections_is_accepted_and_answered(tmp_path, tree):
    count = 10_000
    heartbeat = build_frame(0x0002, "013800000001", 1, b"")

    async def burst(port: int) -> int:
        answered = 0
        everyone_answered = asyncio.Event()
        gate = asyncio.Semaphore(2000)  # connects in flight at once; established ones all stay open

        async def one() -> None:
            nonlocal answered
            async with gate:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(heartbeat)
            await writer.drain()
            data = b""
            while not split_frames(data).frames:
                chunk = await asyncio.wait_for(reader.read(256), 60)
                assert chunk, "closed before answering"
                data += chunk
            answered += 1
            if answered == count:
                everyone_answered.set()
            # Hold the connection until every other one has been answered too: all 10,000 open at once.
            await asyncio.wait_for(everyone_answered.wait(), 120)
            writer.close()

        await asyncio.gather(*(one() for _ in range(count)))
        return answered

    # All 10,000 come from 127.0.0.1: no cap per source address here (tests/gateway/test_connection_flood.py).
    with running_gateway(tmp_path, ANBANG_GATEWAY_MAX_CONNECTIONS_PER_IP="0") as gateway:
        assert asyncio.run(burst(gateway.ports["jt808"])) == count
        time.sleep(1.5)  # one stats interval
    assert GatewayStats.objects.get().counters["connections_total"]["jt808"] == count


def test_the_stats_endpoint_sums_every_gateway_process(tmp_path, tree, officers, api):
    Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier="864717003283581"
    )
    with running_gateway(tmp_path) as gateway:
        with socket.create_connection(("127.0.0.1", gateway.ports["gt06"]), timeout=5) as sock:
            sock.sendall(b"\x78\x78garbage that is not a frame\r\n" * 3)
        time.sleep(1.5)
    body = api(officers.owner).get("/api/v1/gateway/stats").json()
    assert len(body["nodes"]) == 1 and body["nodes"][0]["running"] in (True, False)
    assert body["totals"]["connections_total"] == {"gt06": 1}
    assert {"stored", "rejected", "malformed", "queue_depth", "batch_ms_p99", "fixes_per_s"} <= set(
        body["nodes"][0]
    )
