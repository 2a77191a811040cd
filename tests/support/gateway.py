"""Run the real gateway process against the test database, and talk to it like real trackers do."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from gps_gateway.protocols import jt808
from gps_gateway.protocols.jt808.frames import build_frame
from gps_gateway.simulate import jt808_location_body
from tests.support.processes import ROOT, free_ports

PROTOCOLS = ("osmand", "jt808", "gt06", "h02", "watch")


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class RunningGateway:
    def __init__(self, process: subprocess.Popen, ports: dict[str, int], log: Path) -> None:
        self.process, self.ports, self.log = process, ports, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_gateway(tmp_path: Path, *, workers: int = 1, **env_extra: str) -> Iterator[RunningGateway]:
    connection.close()  # so SQLite has nothing of ours pending
    ports = dict(zip(PROTOCOLS, free_ports(len(PROTOCOLS)), strict=True))
    args = [
        sys.executable,
        "manage.py",
        "rungateway",
        "--bind",
        "127.0.0.1",
        "--stats-interval",
        "1",
        "--refresh-interval",
        "0.5",
        "--workers",
        str(workers),
    ]
    for protocol, port in ports.items():
        args += [f"--{protocol}-port", str(port)]
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        **env_extra,
    }
    log = tmp_path / f"gateway-{time.monotonic_ns()}.log"
    with log.open("w") as handle:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    running = RunningGateway(process, ports, log)
    try:
        deadline = time.monotonic() + 30
        while "gateway ready" not in running.output():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gateway did not start:\n{running.output()[-3000:]}")
            time.sleep(0.05)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Jt808Terminal:
    """A JT/T 808 (2013) terminal: real frames over a real socket."""

    def __init__(self, port: int, phone: str = "013800138001", source: str | None = None) -> None:
        self.phone = phone
        self.serial = 0
        source_address = (source, 0) if source else None
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=source_address)
        self.buffer = b""
        self.pending: list[bytes] = []

    def close(self) -> None:
        self.sock.close()

    def send(self, msg_id: int, body: bytes) -> int:
        self.serial += 1
        self.sock.sendall(build_frame(msg_id, self.phone, self.serial, body))
        return self.serial

    def receive(self, timeout: float = 10) -> tuple[jt808.Header, bytes] | None:
        """The next frame from the platform, or None if nothing came within ``timeout`` / the socket closed."""
        self.sock.settimeout(timeout)
        while True:
            split = jt808.split_frames(self.buffer)
            self.buffer = split.rest
            self.pending += split.frames
            if self.pending:
                frame = self.pending.pop(0)
                header = jt808.parse_header(frame)
                return header, frame[header.header_length : -1]
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return None
            if not data:
                return None
            self.buffer += data

    def register(
        self, maker: str = "TEST0", model: str = "TESTMODEL", terminal_id: str = "T000001"
    ) -> tuple[int, str | None]:
        """0x0100 (2013): maker[5], model[20], terminal id[7], plate colour, plate; (result, auth code)."""
        body = (11).to_bytes(2, "big") + (1).to_bytes(2, "big") + maker.encode().ljust(5, b"\0")[:5]
        body += model.encode().ljust(20, b"\0")[:20] + terminal_id.encode().ljust(7, b"\0")[:7]
        body += b"\x01" + "测A00001".encode("gbk")
        serial = self.send(0x0100, body)
        header, reply = self.receive()
        assert header.msg_id == 0x8100 and int.from_bytes(reply[:2], "big") == serial
        result = reply[2]
        return result, reply[3:].decode("gbk") if result == 0 else None

    def general_result(self, serial: int, msg_id: int, timeout: float = 10) -> int | None:
        received = self.receive(timeout)
        if received is None:
            return None
        header, body = received
        assert header.msg_id == 0x8001, hex(header.msg_id)
        assert int.from_bytes(body[:2], "big") == serial and int.from_bytes(body[2:4], "big") == msg_id
        return body[4]

    def authenticate(self, code: str) -> int | None:
        return self.general_result(self.send(0x0102, code.encode("gbk")), 0x0102)

    def location(self, when: dt.datetime, lat: float, lon: float, timeout: float = 10, **kw) -> int | None:
        return self.general_result(
            self.send(0x0200, jt808_location_body(when, lat, lon, **kw)), 0x0200, timeout
        )


_issued_codes: dict[tuple[int, str], str] = {}


def authenticated_terminal(port: int, phone: str = "013800138001") -> Jt808Terminal:
    """A JT/T 808 terminal that has registered (0x0100) and authenticated (0x0102), ready to send data.
    Like a real terminal it keeps the code it was issued: called again for the same gateway port and phone,
    its registration is refused (result 3, already registered) and it authenticates with that code."""
    terminal = Jt808Terminal(port, phone=phone)
    result, code = terminal.register()
    if result == 3 and (port, phone) in _issued_codes:
        code = _issued_codes[(port, phone)]
    else:
        assert result == 0, result
        _issued_codes[(port, phone)] = code
    assert terminal.authenticate(code) == 0
    return terminal


def issued_osmand_identifier(client, jurisdiction) -> str:
    """Provision a phone for Traccar Client through the API, as an officer does; returns the identifier."""
    created = client.post(
        "/api/v1/devices", {"jurisdiction_id": jurisdiction.pk, "kind": "phone", "protocol": "osmand"}
    )
    return created.json()["credential"]
