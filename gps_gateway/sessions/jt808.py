"""JT/T 808 sessions: register (0x0100) → random auth code (0x8100) → authenticate (0x0102) → data.

Before a valid 0x0102 only heartbeats, register and authenticate are accepted; anything else gets a
0x8001 "failure" and is not stored.  An unprovisioned terminal gets 0x8100 result 4 (terminal unknown).
Registration is bound to the first terminal: a registered terminal registering again, from any connection,
gets result 3 (terminal already registered) and no code until an officer resets the registration
(``backend.monitoring.actions.registration``); the code already issued keeps working.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time

from gps_gateway.clock import now
from gps_gateway.ports import DeviceSource
from gps_gateway.protocols import jt808
from gps_gateway.sessions.common import Connection, Outcome, UnknownDeviceLog
from gps_gateway.stats import GatewayCounters

PROTOCOL = "jt808"
REGISTER, AUTH, HEARTBEAT = 0x0100, 0x0102, 0x0002
RESULT_OK, RESULT_FAILURE, REGISTER_ALREADY_REGISTERED, REGISTER_UNKNOWN_TERMINAL = 0, 1, 3, 4
SESSION_MESSAGES = frozenset({REGISTER, AUTH, HEARTBEAT})
REFUSAL_LOG_INTERVAL = 10.0  # seconds between log lines about one device's refused registrations

logger = logging.getLogger("anbang.gateway")


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


class Jt808Session:
    protocol = PROTOCOL
    split = staticmethod(jt808.split_frames)

    def __init__(self, directory: DeviceSource, counters: GatewayCounters, unknown: UnknownDeviceLog) -> None:
        self.directory = directory
        self.counters = counters
        self.unknown = unknown
        self._refusals_logged: dict[int, tuple[float, int]] = {}  # device → (last logged, suppressed since)

    def _reply(self, conn: Connection, details: dict, result: int) -> bytes:
        serial = conn.session.extra.get("platform_serial", 0)
        conn.session.extra["platform_serial"] = (serial + 1) & 0xFFFF
        return jt808.general_response(
            bytes.fromhex(details["terminal_phone"]), serial, details["version_2019"], details["serial"],
            details["msg_id"], result, details.get("protocol_version"),
        )  # fmt: skip

    def handle(self, frame: bytes, conn: Connection) -> Outcome:
        model = conn.device.model if conn.device else None
        decoded = jt808.decode(frame, conn.session, model=model)
        details = decoded.details
        msg_id = details.get("msg_id")
        if msg_id is None:  # an ASCII lock sentence: only from an authenticated lock
            return Outcome(fixes=decoded.fixes, device=conn.device) if conn.authenticated else Outcome()
        if conn.authenticated and msg_id not in SESSION_MESSAGES and decoded.message != "fragment":
            return Outcome(fixes=decoded.fixes, device=conn.device, ack=decoded.reply)  # the usual 0x0200
        device = self.directory.get(PROTOCOL, decoded.device_id or "")
        if msg_id == REGISTER:
            if device is None:
                return self._unknown_register(conn, details)
            return Outcome(deferred=self._register(conn, details, device))
        if msg_id == AUTH:
            return self._authenticate(conn, details, device)
        if msg_id == HEARTBEAT:
            if conn.authenticated and conn.device is not None:
                conn.device.last_seen, conn.device.dirty = now(), True
            return Outcome(reply_now=decoded.reply)
        if not conn.authenticated:
            self.counters.auth_failures["jt808_before_auth"] += 1
            return Outcome(reply_now=self._reply(conn, details, RESULT_FAILURE))
        if decoded.message == "fragment":
            return self._fragment(conn, details)
        return Outcome(fixes=decoded.fixes, device=conn.device, ack=decoded.reply)

    def _unknown_register(self, conn: Connection, details: dict) -> Outcome:
        self.unknown.note(PROTOCOL, conn.peer)
        return Outcome(reply_now=self._register_reply(conn, details, REGISTER_UNKNOWN_TERMINAL, None))

    async def _register(self, conn: Connection, details: dict, device) -> Outcome:
        code = secrets.token_hex(8)  # 64 random bits, shown to the terminal once; only its digest is kept
        digest = _digest(code)
        registration = await asyncio.to_thread(self.directory.claim_registration, device.id, details, digest)
        if not registration.accepted:
            self.counters.registrations_refused += 1
            self._log_refusal(device.id, registration)
            return Outcome(reply_now=self._register_reply(conn, details, REGISTER_ALREADY_REGISTERED, None))
        device.auth_code_digest, device.registered = digest, True
        return Outcome(reply_now=self._register_reply(conn, details, RESULT_OK, code))

    def _log_refusal(self, device_id: int, registration) -> None:
        """At most one line per device per interval (a flood must not flood the log), and nothing that
        names the terminal: the phone number, maker, model and terminal id stay out of the log."""
        now = time.monotonic()
        last, suppressed = self._refusals_logged.get(device_id, (-REFUSAL_LOG_INTERVAL, 0))
        if now - last < REFUSAL_LOG_INTERVAL and not registration.alerted:
            self._refusals_logged[device_id] = (last, suppressed + 1)
            return
        self._refusals_logged[device_id] = (now, 0)
        logger.warning(
            "gateway: jt808 re-registration of device %d refused: already registered (%s terminal; "
            "%d more since last notice%s)", device_id, "same" if registration.same_terminal else "another",
            suppressed, "; device alert raised" if registration.alerted else "",
        )  # fmt: skip

    def _register_reply(self, conn: Connection, details: dict, result: int, code: str | None) -> bytes:
        serial = conn.session.extra.get("platform_serial", 0)
        conn.session.extra["platform_serial"] = (serial + 1) & 0xFFFF
        return jt808.register_response(
            bytes.fromhex(details["terminal_phone"]), serial, details["version_2019"], details["serial"], result, code,
            details.get("protocol_version"),
        )  # fmt: skip

    def _authenticate(self, conn: Connection, details: dict, device) -> Outcome:
        if device is None:
            self.counters.auth_failures[PROTOCOL] += 1
            self.unknown.note(PROTOCOL, conn.peer)
            return Outcome(reply_now=self._reply(conn, details, RESULT_FAILURE))
        return Outcome(deferred=self._check_code(conn, details, device))

    async def _check_code(self, conn: Connection, details: dict, device) -> Outcome:
        """The code is checked against the database's digest, not this worker's copy: the terminal may
        have registered through another worker a moment ago (``DeviceSource.sync``)."""
        device = await asyncio.to_thread(self.directory.sync, device)
        presented = str(details.get("auth_code", ""))
        if (
            device is None
            or not device.auth_code_digest
            or not hmac.compare_digest(_digest(presented), device.auth_code_digest)
        ):
            self.counters.auth_failures[PROTOCOL] += 1
            return Outcome(reply_now=self._reply(conn, details, RESULT_FAILURE))
        if not device.registered:  # authenticated with the provisioned code: it is the registered terminal
            await asyncio.to_thread(self.directory.close_registration, device.id)
            device.registered = True
        conn.device, conn.authenticated = device, True
        device.last_seen, device.dirty = now(), True
        return Outcome(reply_now=self._reply(conn, details, RESULT_OK))

    def _fragment(self, conn: Connection, details: dict) -> Outcome:
        """Sub-packages are kept per connection until complete, then decoded as one message."""
        parts = conn.session.extra.setdefault("fragments", {}).setdefault(details["msg_id"], [])
        parts.append((details["header"], details["body"]))
        body = jt808.reassemble(parts)
        if body is None:
            if len(parts) > 256:  # a terminal that never finishes must not grow memory without end
                conn.session.extra["fragments"].pop(details["msg_id"], None)
                self.counters.malformed[PROTOCOL] += 1
            return Outcome()
        conn.session.extra["fragments"].pop(details["msg_id"], None)
        first = parts[0][0]
        decoded = jt808.decode_message(
            first, body, conn.session, model=conn.device.model if conn.device else None
        )
        return Outcome(fixes=decoded.fixes, device=conn.device, ack=decoded.reply)
