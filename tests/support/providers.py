"""Real servers on loopback that speak what our providers speak, written from their documentation and
checking what a provider checks: a JSON SMS gateway (bearer token, Idempotency-Key), Alibaba Cloud's
SendSms (RPC signature V1, nonce replay, timestamp), a webhook receiver (HMAC over timestamp + body,
replay window, delivery id) and an SMTP server (aiosmtpd).

The signature checks here are written independently of notifications/ — from the providers' documents —
so a mistake in our signing shows up as a refusal, not as two copies of the same mistake agreeing.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import hmac
import json
import ssl
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class _Server:
    """A threaded HTTP server whose ``mode`` the test switches: ok, error (500), slow (sleeps), hold."""

    def __init__(self):
        self.mode = "ok"
        self.delay_s = 0.0  # every answer takes at least this long (a provider's own latency)
        self.slow_s = 5.0
        self.hold = threading.Event()  # in "hold" mode: accept, then wait for this before answering
        self.holding = threading.Event()  # set when a request is being held
        self.requests = 0
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None
        self.port = 0
        self.host, self.scheme = "127.0.0.1", "http"

    def start(self, port: int = 0, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> _Server:
        outer = self
        self.host, self.scheme = host, "https" if tls else "http"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests += 1
                if outer.mode == "error":
                    return self._answer(500, {"error": "down for maintenance"})
                if outer.mode == "slow":
                    time.sleep(outer.slow_s)
                elif outer.delay_s:
                    time.sleep(outer.delay_s)
                status, answer = outer.handle(self.headers, body)
                if outer.mode == "hold" and status == 200:
                    outer.holding.set()
                    outer.hold.wait(60)
                self._answer(status, answer)

            def _answer(self, status: int, answer: dict):
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client was killed while we held its request

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.hold.set()
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}/"

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        raise NotImplementedError


class JsonSmsGateway(_Server):
    """The generic gateway: sends a repeated Idempotency-Key once and answers with the first id."""

    def __init__(self, token: str = "test-sms-token"):
        super().__init__()
        self.token = token
        self.seen: Counter[str] = Counter()  # every key received, repeats included
        self.sent: dict[str, dict] = {}  # key → the message actually sent (once)

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"error": "bad token"}
        message = json.loads(body)
        key = headers.get("Idempotency-Key", "")
        if not key or key != message.get("idempotency_key"):
            return 400, {"error": "idempotency key missing"}
        with self.lock:
            self.seen[key] += 1
            if key not in self.sent:
                self.sent[key] = {**message, "id": f"sms-{len(self.sent) + 1}"}
            return 200, {"id": self.sent[key]["id"]}


def _pe(value: str) -> str:
    # Alibaba Cloud's percent-encoding: RFC 3986 unreserved characters kept, everything else %XX.
    return urllib.parse.quote(value, safe="~").replace("%7E", "~")


class AliyunSmsServer(_Server):
    """dysmsapi SendSms: checks AccessKeyId, the HMAC-SHA1 signature, a fresh Timestamp and an unused
    SignatureNonce, as the provider does; answers in its JSON shape."""

    def __init__(self, key_id: str = "LTAItest", secret: str = "aliyun-test-secret"):
        super().__init__()
        self.key_id, self.secret = key_id, secret
        self.nonces: set[str] = set()
        self.accepted: list[dict] = []

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        if params.get("AccessKeyId") != self.key_id:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        signature = params.pop("Signature", "")
        canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&%2F&" + _pe(canonical)
        expected = base64.b64encode(
            hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        )
        if not hmac.compare_digest(expected.decode(), signature):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched."}
        stamp = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) > 900:
            return 400, {"Code": "InvalidTimeStamp.Expired", "Message": "Timestamp expired."}
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return 400, {
                    "Code": "SignatureNonceUsed",
                    "Message": "Specified signature nonce was used already.",
                }
            self.nonces.add(params["SignatureNonce"])
            for name in ("Action", "PhoneNumbers", "SignName", "TemplateCode", "TemplateParam", "Version"):
                if not params.get(name):
                    return 400, {"Code": "MissingParameter", "Message": f"{name} is mandatory."}
            self.accepted.append(params)
            return 200, {
                "Code": "OK",
                "Message": "OK",
                "BizId": f"9006{len(self.accepted):08d}",
                "RequestId": "R",
            }


class WebhookReceiver(_Server):
    """A receiver as docs/notifications.md tells one to be written: HMAC-SHA256 over "<ts>.<body>",
    refuse stale timestamps (replays), process each X-Anbang-Delivery once."""

    def __init__(self, secret: str = "", tolerance_s: int = 300):
        super().__init__()
        self.secrets: set[str] = {secret} if secret else set()  # one per subscriber sharing this URL
        self.tolerance_s = tolerance_s
        self.processed: dict[str, dict] = {}
        self.refused: Counter[str] = Counter()
        self.hosts: list[str] = []  # the Host header of each request

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        self.hosts.append(headers.get("Host", ""))
        stamp, signature = headers.get("X-Anbang-Timestamp", ""), headers.get("X-Anbang-Signature", "")
        macs = [
            hmac.new(s.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
            for s in self.secrets
        ]
        if not any(hmac.compare_digest(f"v1={mac}", signature) for mac in macs):
            self.refused["signature"] += 1
            return 401, {"error": "bad signature"}
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > self.tolerance_s:
            self.refused["stale"] += 1
            return 401, {"error": "stale timestamp"}
        key = headers.get("X-Anbang-Delivery", "")
        with self.lock:
            self.processed.setdefault(key, json.loads(body))
        return 200, {"ok": True}


@dataclass
class Mailbox:
    """An SMTP server (aiosmtpd) on loopback that keeps what it receives; ``refuse`` sets a reply code."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    refuse: str = ""  # e.g. "550 5.1.1 mailbox unavailable" or "451 4.3.0 try again later"
    controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def start(self, port: int) -> Mailbox:
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
