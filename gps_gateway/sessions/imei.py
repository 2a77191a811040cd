"""Protocols in which a device names itself by IMEI and proves nothing else (GT06, H02, Watch).

They are accepted only for provisioned identifiers, and the device is marked "weak authentication" in
the API.  An unknown identifier gets no answer at all (a GT06 login unanswered makes the device retry
elsewhere, not send data) and the connection is closed; it is counted, and logged at a limited rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from gps_gateway.clock import now
from gps_gateway.devices import DeviceInfo
from gps_gateway.ports import DeviceSource
from gps_gateway.protocols import gt06, h02, watch
from gps_gateway.protocols.common import Decoded, FrameSplit, SessionState
from gps_gateway.protocols.gt06.frames import split_frames as gt06_split
from gps_gateway.sessions.common import Connection, Outcome, UnknownDeviceLog
from gps_gateway.stats import GatewayCounters


class ImeiSession:
    def __init__(
        self,
        protocol: str,
        split: Callable[[bytes], FrameSplit],
        decode: Callable[..., Decoded],
        directory: DeviceSource,
        counters: GatewayCounters,
        unknown: UnknownDeviceLog,
        *,
        takes_model: bool = False,
    ) -> None:
        self.protocol = protocol
        self.split = split
        self._decode = decode
        self.directory = directory
        self.counters = counters
        self.unknown = unknown
        self.takes_model = takes_model

    def decode(self, frame: bytes, session: SessionState, model: str | None) -> Decoded:
        return self._decode(frame, session, model=model) if self.takes_model else self._decode(frame, session)

    def handle(self, frame: bytes, conn: Connection) -> Outcome:
        decoded = self.decode(frame, conn.session, conn.device.model if conn.device else None)
        identifier = decoded.device_id or conn.session.device_id
        if not identifier:
            return Outcome()  # e.g. a GT06 location before any login: nobody to attribute it to
        device = conn.device if conn.device is not None and conn.device.identifier == identifier else None
        device = device or self.directory.get(self.protocol, identifier)
        if device is None:
            return self._unknown(conn)
        if conn.device is not device:  # the first frame naming it on this connection
            return Outcome(deferred=self._bind(conn, device, decoded))
        return self._accepted(conn, device, decoded)

    def _unknown(self, conn: Connection) -> Outcome:
        self.unknown.note(self.protocol, conn.peer)
        return Outcome(close=True)

    async def _bind(self, conn: Connection, device: DeviceInfo, decoded: Decoded) -> Outcome:
        """Read the device again before this connection's frames are judged (``DeviceSource.sync``)."""
        current = await asyncio.to_thread(self.directory.sync, device)
        if current is None:
            return self._unknown(conn)
        return self._accepted(conn, current, decoded)

    def _accepted(self, conn: Connection, device: DeviceInfo, decoded: Decoded) -> Outcome:
        conn.device, conn.authenticated = device, True
        device.last_seen, device.dirty = now(), True
        if decoded.details.pop("media", None):
            # Voice clips from watches need a media store, which the product does not have yet.
            self.counters.rejected["media_not_stored"] += 1
        return Outcome(fixes=decoded.fixes, device=device, ack=decoded.reply)


def available_imei_sessions(
    directory: DeviceSource, counters: GatewayCounters, unknown: UnknownDeviceLog
) -> dict:
    return {
        "gt06": ImeiSession("gt06", gt06_split, gt06.decode, directory, counters, unknown, takes_model=True),
        "h02": ImeiSession("h02", h02.split_frames, h02.decode, directory, counters, unknown),
        "watch": ImeiSession("watch", watch.split_frames, watch.decode, directory, counters, unknown),
    }
