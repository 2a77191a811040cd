"""OsmAnd / Traccar Client over HTTP (port 5055): a small HTTP/1.1 server on asyncio.

Requests are small (a query string or a JSON body of a few hundred bytes), so this reads a bounded head
and a bounded, length-delimited body; anything else is refused with 4xx and counted.  Keep-alive is
honoured (Traccar Client reuses connections).  200 is sent only after the fix is committed.
"""

from __future__ import annotations

import asyncio
import json

from django.utils import timezone

from gps_gateway.directory import osmand_digest
from gps_gateway.handlers import Outcome
from gps_gateway.protocols import osmand
from gps_gateway.protocols.common import FrameError

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


class OsmAndServer:
    def __init__(self, gateway) -> None:
        self.gateway = gateway
        self.counters = gateway.counters

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.counters.connections[PROTOCOL] += 1
        self.counters.connections_total[PROTOCOL] += 1
        synced: set[int] = set()  # devices read again for this connection (DeviceDirectory.sync)
        try:
            while True:
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for wraps the read in a task of
                    # its own, a task per request; the context manager only arms a timer.
                    async with asyncio.timeout(self.gateway.limits.idle_timeout):
                        head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    self.counters.malformed[PROTOCOL] += 1
                    writer.write(response(431, keep_alive=False))
                    return
                if len(head) > MAX_HEAD:
                    self.counters.malformed[PROTOCOL] += 1
                    writer.write(response(431, keep_alive=False))
                    return
                status, body, keep_alive = await self._one(head, reader, synced)
                writer.write(response(status, body, keep_alive=keep_alive))
                await writer.drain()
                if not keep_alive:
                    return
        finally:
            self.counters.connections[PROTOCOL] -= 1
            writer.close()

    async def _one(
        self, head: bytes, reader: asyncio.StreamReader, synced: set[int]
    ) -> tuple[int, bytes, bool]:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.counters.malformed[PROTOCOL] += 1
            return 400, b"", False
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        keep_alive = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self.counters.malformed[PROTOCOL] += 1
            return 411, b"", False
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            self.counters.malformed[PROTOCOL] += 1
            return 400, b"", False
        if length > MAX_BODY or length < 0:
            self.counters.malformed[PROTOCOL] += 1
            return 413, b"", False
        body = await reader.readexactly(length) if length else b""
        content_type = headers.get("content-type")
        is_json = bool(content_type and "json" in content_type)
        try:
            decoded = osmand.decode_request(method, target, content_type, body, received_at=timezone.now())
        except (FrameError, ValueError, KeyError, TypeError):
            self.counters.malformed[PROTOCOL] += 1
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
        if not await self.gateway.store(Outcome(fixes=decoded.fixes, device=device)):
            return 503, b"", False  # not committed: the app keeps the fix and retries
        return 200, b"", keep_alive
