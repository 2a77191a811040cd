"""OsmAnd / Traccar Client over HTTP (port 5055): a small HTTP/1.1 server on asyncio.

Requests are small (a query string or a JSON body of a few hundred bytes), so this reads a bounded head
and a bounded, length-delimited body; anything else is refused with 4xx and counted.  Keep-alive is
honoured (Traccar Client reuses connections).  200 is sent only after the fix is committed.

Slow clients (slowloris): until a request has been stored for a known device, everything the connection
sends — heads and bodies — must arrive within ``identify_timeout`` of connecting; afterwards each request,
head and body, within ``idle_timeout`` of the previous answer.
"""

from __future__ import annotations

import asyncio
import json
from functools import partial
from typing import NamedTuple

from gps_gateway.clock import now
from gps_gateway.identifiers import osmand_digest
from gps_gateway.listener import Admission
from gps_gateway.protocols import osmand
from gps_gateway.protocols.common import FrameError
from gps_gateway.sessions.common import Outcome

MAX_HEAD = 8192
MAX_BODY = 64 * 1024
PROTOCOL = "osmand"
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required", 413: "Payload Too Large",
           431: "Request Header Fields Too Large", 503: "Service Unavailable"}  # fmt: skip


def response(
    status: int, body: bytes = b"", *, keep_alive: bool = True, content_type: str = "application/json"
) -> bytes:
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}", f"Content-Length: {len(body)}"]
    if body:
        head.append(f"Content-Type: {content_type}; charset=utf-8")
    head.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


class _Request(NamedTuple):
    method: str
    target: str
    headers: dict[str, str]
    keep_alive: bool
    body: bytes


class OsmAndServer:
    def __init__(self, gateway) -> None:
        self.gateway = gateway
        self.counters = gateway.counters

    def protocol(self, admission: Admission | None = None) -> asyncio.StreamReaderProtocol:
        """The protocol of one accepted connection (``gps_gateway/listener.py``)."""
        reader = asyncio.StreamReader(limit=2**16)
        return asyncio.StreamReaderProtocol(reader, partial(self.handle, admission=admission))

    async def handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, admission: Admission | None = None
    ) -> None:
        self.counters.connections[PROTOCOL] += 1
        self.counters.connections_total[PROTOCOL] += 1
        synced: set[int] = set()  # devices read again for this connection (DeviceSource.sync)
        loop = asyncio.get_running_loop()
        limits = self.gateway.limits
        identify_by, identified = loop.time() + limits.identify_timeout, False
        try:
            while True:
                idle_by = loop.time() + limits.idle_timeout
                deadline = idle_by if identified else min(idle_by, identify_by)
                try:
                    # asyncio.timeout_at, not wait_for: on Python 3.11 wait_for wraps the read in a task
                    # of its own, a task per request; the context manager only arms a timer.
                    async with asyncio.timeout_at(deadline):
                        request = await self._read(reader)
                except TimeoutError:
                    self._timed_out(identified or deadline == idle_by, writer)
                    return
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    request = 431
                if isinstance(request, int):
                    self.counters.malformed[PROTOCOL] += 1
                    writer.write(response(request, keep_alive=False))
                    return
                status, body, keep_alive = await self._one(request, synced)
                writer.write(response(status, body, keep_alive=keep_alive))
                await writer.drain()
                if not keep_alive:
                    return
                identified = identified or status == 200
        finally:
            self.counters.connections[PROTOCOL] -= 1
            writer.close()
            if admission is not None:
                admission.release()

    def _timed_out(self, idle: bool, writer: asyncio.StreamWriter) -> None:
        if idle:
            self.counters.connections_closed["idle_timeout"] += 1
            return
        self.counters.connections_closed["identify_timeout"] += 1
        peer = writer.get_extra_info("peername")
        self.gateway.notices.warn(
            "identify_timeout",
            "gateway: closed a %s connection from %s that did not identify its device within %.0f s",
            PROTOCOL, peer[0] if peer else "?", self.gateway.limits.identify_timeout,
        )  # fmt: skip

    async def _read(self, reader: asyncio.StreamReader) -> _Request | int:
        """One request, head and body; an int is the status to refuse it with."""
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEAD:
            return 431
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return 400
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return 411
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return 400
        if length > MAX_BODY or length < 0:
            return 413
        body = await reader.readexactly(length) if length else b""
        return _Request(method, target, headers, keep_alive, body)

    async def _one(self, request: _Request, synced: set[int]) -> tuple[int, bytes, bool]:
        headers, keep_alive = request.headers, request.keep_alive
        content_type = headers.get("content-type")
        is_json = bool(content_type and "json" in content_type)
        try:
            decoded = osmand.decode_request(
                request.method, request.target, content_type, request.body, received_at=now()
            )
        except (FrameError, ValueError, KeyError, TypeError) as exc:
            self.counters.malformed[PROTOCOL] += 1
            reason = getattr(exc, "reason", None)
            if reason is not None:
                self.counters.frames_refused[f"{PROTOCOL}_{reason}"] += 1
            return 400, json.dumps({"error": "malformed"}).encode(), keep_alive
        device = self.gateway.directory.get(PROTOCOL, osmand_digest(decoded.device_id or ""))
        if device is not None and device.id not in synced:
            device = await asyncio.to_thread(self.gateway.directory.sync, device)
            if device is not None:
                synced.add(device.id)
        if device is None:
            self.gateway.unknown.note(PROTOCOL, headers.get("host", "?"))
            status, _ = osmand.reply_unknown_device(is_json)
            return status, b"", keep_alive
        if dropped := decoded.details.get("unknown_alarms"):
            self.counters.unknown_alarms[PROTOCOL] += dropped  # free text, not stored; the fix is
        if not await self.gateway.store(Outcome(fixes=decoded.fixes, device=device)):
            return 503, b"", False  # not committed: the app keeps the fix and retries
        return 200, b"", keep_alive
