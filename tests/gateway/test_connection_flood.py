"""Idle-connection floods: a connection must identify itself in time, garbage keeps nothing alive, a
source address has a cap, a full file table is survived, and every refusal and closing is counted."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import resource
import socket
import time

import pytest
from django.utils import timezone

from backend.monitoring.models import Device, GatewayStats, Position
from gps_gateway.protocols.jt808.frames import build_frame, split_frames
from gps_gateway.simulate import gt06_location
from tests.gateway.test_imei_protocols import GT06_IMEI, GT06_LOGIN, GT06_LOGIN_REPLY
from tests.support.gateway import authenticated_terminal, issued_osmand_identifier, running_gateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PHONE = "013800138001"
JT808_PREFIX = b"\x7e\x02\x00"  # the first three bytes of a 0x0200 frame that never comes
HEARTBEAT = build_frame(0x0002, "013800000001", 1, b"")


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def counters() -> dict:
    return GatewayStats.objects.get().counters


def closed_by_peer(sock: socket.socket, timeout: float) -> bool:
    """True once the gateway has closed the connection (EOF or reset), False if it is still open."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


def answered(sock: socket.socket, timeout: float = 5) -> bool:
    """True if a JT/T 808 frame comes back (the connection was accepted and served)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while not split_frames(data).frames:
            chunk = sock.recv(256)
            if not chunk:
                return False
            data += chunk
    except (TimeoutError, ConnectionResetError):
        return False
    return True


def cpu_ticks(pid: int) -> int:
    """User plus system clock ticks a process has used (proc(5): fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def connect_from(source: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))  # all of 127.0.0.0/8 is loopback on Linux: each address is another source
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


@pytest.fixture
def tag(tree):
    return Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="jt808", identifier=PHONE.lstrip("0")
    )


def test_3000_connections_that_never_identify_are_closed_at_the_deadline_and_a_real_device_is_still_acked(
    tmp_path, tag
):
    raise_file_limit()
    deadline, per_source, sources = 8.0, 1000, ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    extra = 50  # over the cap of the first source: refused at once

    async def flood(port: int, device_acked) -> dict:
        held: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        gate = asyncio.Semaphore(500)

        async def connect(source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, float]:
            async with gate:
                reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
            writer.write(JT808_PREFIX)
            return reader, writer, time.monotonic()

        held = await asyncio.gather(*(connect(s) for s in sources for _ in range(per_source)))
        refused = await asyncio.gather(*(connect(sources[0]) for _ in range(extra)))
        stop_trickle = asyncio.Event()

        async def trickle() -> None:  # one byte a second on every held connection: garbage, not a frame
            while not stop_trickle.is_set():
                await asyncio.sleep(1)
                for _, writer, _ in held:
                    if not writer.is_closing():
                        writer.write(b"\x01")

        trickling = asyncio.create_task(trickle())
        refused_closed = await asyncio.gather(
            *(asyncio.wait_for(reader.read(), 5) for reader, _, _ in refused), return_exceptions=True
        )
        # The real device connects while all 3,000 are held, and must be served like any other day.
        acked = await asyncio.to_thread(device_acked)
        still_open_when_acked = sum(1 for reader, _, _ in held if not reader.at_eof())

        async def closed_after(reader: asyncio.StreamReader, opened: float) -> float:
            try:
                while await asyncio.wait_for(reader.read(4096), deadline + 20):
                    pass
            except ConnectionResetError:
                pass
            return time.monotonic() - opened

        lifetimes = await asyncio.gather(
            *(closed_after(reader, opened) for reader, _, opened in held), return_exceptions=True
        )
        stop_trickle.set()
        await trickling
        for _, writer, _ in [*held, *refused]:
            writer.close()
        return {
            "refused_closed": sum(1 for r in refused_closed if r == b"" or isinstance(r, ConnectionError)),
            "acked": acked,
            "still_open_when_acked": still_open_when_acked,
            "lifetimes": lifetimes,
        }

    with running_gateway(
        tmp_path,
        ANBANG_GATEWAY_IDENTIFY_SECONDS=str(int(deadline)),
        ANBANG_GATEWAY_MAX_CONNECTIONS_PER_IP=str(per_source),
    ) as gateway:
        port = gateway.ports["jt808"]

        def device_acked() -> bool:
            terminal = authenticated_terminal(port, phone=PHONE)
            try:
                return terminal.location(timezone.now().replace(microsecond=0), 30.1, 120.2) == 0
            finally:
                terminal.close()

        result = asyncio.run(flood(port, device_acked))
        time.sleep(1.5)  # one stats interval
        log = gateway.output()

    assert result["acked"] and Position.objects.filter(device=tag).count() == 1, log[-2000:]
    assert result["still_open_when_acked"] == 3000, result["still_open_when_acked"]
    assert result["refused_closed"] == extra, result["refused_closed"]
    timed_out = [t for t in result["lifetimes"] if isinstance(t, float)]
    assert len(timed_out) == 3000, [r for r in result["lifetimes"] if not isinstance(r, float)][:3]
    # Measured from when this busy client saw each connect complete, which lags the gateway's accept.
    assert deadline - 2 <= min(timed_out) and max(timed_out) <= deadline + 10, (
        min(timed_out),
        max(timed_out),
    )
    stats = counters()
    assert stats["connections_closed"]["identify_timeout"] == 3000
    assert stats["connections_refused"] == {"per_ip_limit": extra}
    assert "did not identify" in log and "conns_closed=3000" in log


def test_garbage_does_not_keep_an_authenticated_connection_past_the_idle_timeout(tmp_path, tag):
    with running_gateway(tmp_path, ANBANG_GATEWAY_IDLE_TIMEOUT_S="2") as gateway:
        terminal = authenticated_terminal(gateway.ports["jt808"], phone=PHONE)
        assert terminal.location(timezone.now().replace(microsecond=0), 30.1, 120.2) == 0
        last_frame = time.monotonic()
        terminal.sock.settimeout(0.3)
        closed_at = None
        while time.monotonic() - last_frame < 8:
            try:
                terminal.sock.sendall(b"\x01")  # junk between frames, every 0.3 s
                if terminal.sock.recv(64) == b"":
                    closed_at = time.monotonic() - last_frame
                    break
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                closed_at = time.monotonic() - last_frame
                break
        terminal.close()
        time.sleep(1.5)
    assert closed_at is not None and 1.5 <= closed_at <= 4.5, closed_at
    assert counters()["connections_closed"] == {"idle_timeout": 1}


def test_a_source_address_over_its_cap_is_refused_and_other_sources_are_not(tmp_path, tree, officers, api):
    with running_gateway(tmp_path, ANBANG_GATEWAY_MAX_CONNECTIONS_PER_IP="3") as gateway:
        port, osmand = gateway.ports["jt808"], gateway.ports["osmand"]
        held = [connect_from("127.0.0.2", port) for _ in range(3)]
        for sock in held:
            sock.sendall(HEARTBEAT)
            assert answered(sock)
        over = connect_from("127.0.0.2", port)
        over.sendall(HEARTBEAT)
        assert not answered(over) and closed_by_peer(over, 5)
        over_http = connect_from("127.0.0.2", osmand)  # the cap counts every port of the source
        assert closed_by_peer(over_http, 5)
        other = connect_from("127.0.0.3", port)
        other.sendall(HEARTBEAT)
        assert answered(other)
        held.pop().close()
        time.sleep(0.3)
        again = connect_from("127.0.0.2", port)
        again.sendall(HEARTBEAT)
        assert answered(again)
        for sock in [*held, over, over_http, other, again]:
            sock.close()
        time.sleep(1.5)
        log = gateway.output()
    stats = api(officers.owner).get("/api/v1/gateway/stats").json()
    assert stats["totals"]["connections_refused"] == {"per_ip_limit": 2}
    assert "127.0.0.2" in log and "connection cap" in log


def test_an_osmand_request_trickled_byte_by_byte_is_cut_at_the_deadline_and_a_real_app_is_not(
    tmp_path, tree, officers, api
):
    issued = issued_osmand_identifier(api(officers.owner), tree.township_a1)
    with running_gateway(tmp_path, ANBANG_GATEWAY_IDENTIFY_SECONDS="2") as gateway:
        port = gateway.ports["osmand"]
        head_only = socket.create_connection(("127.0.0.1", port), timeout=10)
        body_slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        body_slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n")
        app = socket.create_connection(("127.0.0.1", port), timeout=10)
        stamp = int(time.time()) - 60
        request = f"GET /?id={issued}&timestamp={{}}&lat=30.5&lon=120.5 HTTP/1.1\r\nHost: x\r\n\r\n"
        app.sendall(request.format(stamp).encode())
        assert app.recv(4096).startswith(b"HTTP/1.1 200")
        started, closed = time.monotonic(), {}
        while time.monotonic() - started < 8 and len(closed) < 2:
            for name, sock, byte in (("head", head_only, b"G"), ("body", body_slow, b"a")):
                if name in closed:
                    continue
                try:
                    sock.sendall(byte)
                except (BrokenPipeError, ConnectionResetError):
                    closed[name] = time.monotonic() - started
                    continue
                sock.settimeout(0.01)
                try:
                    if sock.recv(4096) == b"":
                        closed[name] = time.monotonic() - started
                except TimeoutError:
                    pass
                except ConnectionResetError:
                    closed[name] = time.monotonic() - started
            time.sleep(0.25)
        # The app identified itself: it keeps its connection past the deadline.
        app.sendall(request.format(stamp + 1).encode())
        assert app.recv(4096).startswith(b"HTTP/1.1 200")
        for sock in (head_only, body_slow, app):
            sock.close()
        time.sleep(1.5)
    assert set(closed) == {"head", "body"} and all(1.5 <= t <= 4.5 for t in closed.values()), closed
    assert counters()["connections_closed"] == {"identify_timeout": 2}


def test_the_gateway_survives_running_out_of_file_descriptors_and_serves_again(tmp_path, tree):
    Device.objects.create(jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier=GT06_IMEI)
    when = timezone.now().astimezone(dt.UTC).replace(microsecond=0)
    fix = gt06_location(when, 30.25, 120.125, serial=10)

    def logged_in(port: int) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(GT06_LOGIN)
        assert sock.recv(64) == GT06_LOGIN_REPLY
        return sock

    with running_gateway(tmp_path) as gateway:
        pid, port = gateway.process.pid, gateway.ports["gt06"]
        tag = logged_in(port)  # a device already connected, whose first fix comes while descriptors are out
        time.sleep(1)
        in_use = len(os.listdir(f"/proc/{pid}/fd"))
        cpu_before = cpu_ticks(pid)
        hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)[1]
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 8, hard))
        hogs = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        started = time.monotonic()
        while "out of file descriptors" not in gateway.output() and time.monotonic() - started < 10:
            time.sleep(0.1)
        tag.sendall(fix)  # the writer's first commit, with no descriptor to spare
        time.sleep(2)  # the gateway backs off and tries again meanwhile, without spinning
        assert gateway.process.poll() is None, gateway.output()[-2000:]
        cpu = cpu_ticks(pid) - cpu_before
        for sock in [*hogs, tag]:
            sock.close()
        time.sleep(2)  # the gateway sees them go and accepts what was waiting; the limit stays low
        with logged_in(port) as again:  # the device resends what was not acknowledged
            again.sendall(fix)
            time.sleep(1)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (hard, hard))
        time.sleep(1.5)
        log = gateway.output()
    assert "out of file descriptors" in log
    assert Position.objects.filter(device__protocol="gt06", fix_time=when).count() == 1, log[-3000:]
    refused = counters()["connections_refused"]["fd_exhausted"]
    assert 1 <= refused <= 40, refused  # counted once per back-off, not once per spin of the loop
    assert cpu < 100, cpu  # under 1 s of CPU over the ~4 s without descriptors: no busy loop
