"""The outside probe of issue #23, as a script: start the product as `make run` does and attack it from outside.

Run: .venv/bin/python bench/probe.py [--flood 5000] [--examples 25] [--identify-seconds 15] [--ids 0]
     [--all-pdfs] [--skip idor,boundary,schemathesis,frames,flood,kill] [--keep]

`manage.py up` runs in a fresh data folder (fresh random keys, free ports for the web and the five gateway
ports, the synthetic demo seeded by `up` itself, fast restart backoff, a short identify deadline).  The
probe adds what the demo lacks through the product's own surface — trackers provisioned and worn through
the API, fixes and SOS alarms sent over real sockets (a minor's and a file sealed afterwards among them,
one tracker handed on from the minor to another person), zones, check-ins, sanctions, leave requests,
location orders — and then:

1. IDOR: as every demo user (an API token each), every GET operation of the OpenAPI document (fetched
   from the live server with the token) is called with every id of its object type that exists, and every
   list with every id of its filters; the console's pages with every id (signed in through /login/).  The
   ground truth is the product's own rule, computed in-process on the same database file
   (``Model.objects.visible_to(user)``): a 200 for an object out of reach, a list row out of reach, an
   alert of a file out of reach that is not withheld, a fix the reader may not see on a device, or any
   of the names, ID numbers, phones, addresses, zone names or fix coordinates of a minor's or sealed file
   in any answer to a user without a grant — each is a leak.
   Controls that show the probe can see: searches for a file in reach find it, and the minor's grant
   holder does meet the minor's markers.
2. The issue's boundary requests (each was a 500) must be 4xx with the error shape; 32 person-file PDFs
   rendered at once must all succeed.  Then schemathesis over the live OpenAPI document (bearer token of a
   fresh county officer + admin per operation; positive, negative and real-id examples, derandomized):
   5xx answers and schema violations.
3. Malformed frames over real sockets to the gateway ports: nothing refused may be stored, every refusal
   must be counted in /api/v1/gateway/stats.
4. An idle-connection flood on the JT/T 808 port (3-byte prefix, one junk byte every few seconds) beyond
   the per-source cap, while a real terminal authenticates and gets its fix acknowledged: every held
   connection must be closed at the identify deadline, every refusal counted and logged.
5. kill -9 of each of up's children and of a gateway worker: time until each serves again; the others
   keep their pids and the web keeps answering.

Prints one table (check, figure, pass/fail) and exits 1 if any check found something.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import http.client
import json
import os
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import data_folder, environment, free_ports  # noqa: E402
from tests.support.gateway import Jt808Terminal  # noqa: E402
from tests.support.processes import gateway_workers, up_children  # noqa: E402

PROTOCOLS = ("osmand", "jt808", "gt06", "h02", "watch")
PREFIX = "/api/v1"
DEMO_PASSWORD = "anbang-demo-2026"  # backend/core/demo.py (ANBANG_DEMO_PASSWORD is not passed through)
OFFICES = {"dc": "990102001000", "xc": "990102002000", "ns": "990102003000"}
OFFICERS = {"dc": "demo_officer_dc", "xc": "demo_officer_xc", "ns": "demo_county_officer"}
MINOR_LAT, SEALED_LAT = 31.712345, 31.823456  # fixes of the restricted files: markers in any answer
CHECKS = ("idor", "boundary", "schemathesis", "frames", "flood", "kill")


# --- small tools ------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Http:
    """One caller over real HTTP (keep-alive per thread): a bearer token, or a console session's cookies."""

    def __init__(self, port: int, token: str | None = None, extra: dict | None = None) -> None:
        self.port, self.token, self.extra = port, token, extra or {}
        self.cookies: dict[str, str] = {}
        self.local = threading.local()

    def _conn(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        return conn

    def request(self, method: str, path: str, body=None, form: dict | None = None, headers=None) -> Answer:
        head = {"Host": "127.0.0.1", **self.extra, **(headers or {})}
        if self.token:
            head["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            head.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1",
                         "Referer": f"http://127.0.0.1:{self.port}{path}"})  # fmt: skip
        elif body is not None:
            data = json.dumps(body).encode()
            head["Content-Type"] = "application/json"
        for attempt in range(3):
            conn = self._conn(fresh=attempt > 0)
            try:
                conn.request(method, path, body=data, headers=head)
                response = conn.getresponse()
                payload = response.read()
                break
            except (ConnectionError, http.client.HTTPException, TimeoutError, OSError):
                if attempt == 2:
                    return Answer(0, {}, b"")
                time.sleep(0.2)
        headers_out = {k.lower(): v for k, v in response.getheaders()}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    self.cookies[key] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self._conn(fresh=True)
        return Answer(response.status, headers_out, payload)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def sign_in(self, username: str, password: str) -> bool:
        page = self.get("/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status != 200 or not match:
            return False
        form = {
            "csrfmiddlewaretoken": match.group(1),
            "next": "/",
            "username": username,
            "password": password,
        }
        answer = self.request("POST", "/login/", form=form)
        return answer.status == 302 and "sessionid" in self.cookies


def wait_for(predicate, timeout: float, step: float = 0.1) -> float | None:
    """Seconds until ``predicate()`` held, or None if it did not within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(step)
    return None


def pdf_text(body: bytes) -> str:
    try:
        return subprocess.run(
            ["pdftotext", "-q", "-", "-"], input=body, capture_output=True, timeout=60
        ).stdout.decode(errors="replace")
    except (OSError, subprocess.TimeoutExpired):
        return ""


# --- the product, as `make run` starts it -----------------------------------------------------------------


class Product:
    def __init__(self, data: str, args: argparse.Namespace) -> None:
        self.data = Path(data)
        web, *gateway = free_ports(6)
        self.port = web
        self.ports = dict(zip(PROTOCOLS, gateway, strict=True))
        self.env = environment(data)
        self.env.update({f"ANBANG_{p.upper()}_PORT": str(n) for p, n in self.ports.items()})
        self.env.update(
            ANBANG_GATEWAY_BIND="127.0.0.1",
            ANBANG_GATEWAY_WORKERS="2",
            ANBANG_GATEWAY_IDENTIFY_SECONDS=str(args.identify_seconds),
            ANBANG_GATEWAY_MAX_CONNECTIONS_PER_IP=str(args.per_source),
            ANBANG_RESTART_BASE_MS="100",
            ANBANG_RESTART_MAX_MS="400",
            ANBANG_PUBLIC_URL=f"http://127.0.0.1:{web}",
        )
        self.log = self.data / "up.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("w") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "up", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
            )  # fmt: skip
        lines = ("安帮已启动", "gateway ready", "通知发送进程已启动", "调度进程已启动")
        if (
            wait_for(
                lambda: all(line in self.output() for line in lines) or self.process.poll() is not None, 180
            )
            is None
        ):
            raise SystemExit(f"up did not start:\n{self.output()[-3000:]}")
        if self.process.poll() is not None:
            raise SystemExit(f"up exited ({self.process.returncode}):\n{self.output()[-3000:]}")
        if wait_for(self.healthy, 60) is None:
            raise SystemExit(f"no health answer:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", f"{PREFIX}/health")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def children(self) -> dict[str, int]:
        return up_children(self.process.pid)

    def gateway_workers(self) -> set[int]:
        gateway = self.children().get("gateway")
        return set() if gateway is None else gateway_workers(gateway)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


# --- a JT/T 808 terminal over a real socket --------------------------------------------------------------


class Terminal(Jt808Terminal):
    """The tests' terminal from a chosen source address, tolerant as a prober must be: a reset connection
    is "nothing came", and answers are matched to their request among whatever else arrives."""

    def __init__(self, port: int, phone: str, source: str = "127.0.0.1") -> None:
        super().__init__(port, phone, source=source)

    def receive(self, timeout: float = 10):
        try:
            return super().receive(timeout)
        except ConnectionError:
            return None

    def result(self, serial: int, timeout: float = 10) -> int | None:
        """The 0x8001 general result for ``serial`` (None: nothing came)."""
        while (got := self.receive(timeout)) is not None:
            header, body = got
            if header.msg_id == 0x8001 and int.from_bytes(body[:2], "big") == serial:
                return body[4]
        return None

    def authenticate(self, code: str) -> int | None:
        return self.result(self.send(0x0102, code.encode("gbk")))

    def register(self, terminal_id: str = "PROBE01") -> int | None:
        body = (11).to_bytes(2, "big") + (1).to_bytes(2, "big") + b"PROBE" + b"PROBEMODEL".ljust(20, b"\0")
        body += terminal_id.encode().ljust(7, b"\0")[:7] + b"\x01" + "测A00001".encode("gbk")
        self.send(0x0100, body)
        while (got := self.receive(timeout=3)) is not None:
            header, reply = got
            if header.msg_id == 0x8100:
                return reply[2]
        return None

    def location(
        self, when: dt.datetime, lat: float, lon: float, alarm: int = 0, timeout: float = 10
    ) -> int | None:
        from gps_gateway.simulate import jt808_location_body

        return self.result(self.send(0x0200, jt808_location_body(when, lat, lon, alarm=alarm)), timeout)


def device_acked(port: int, phone: str, code: str, lat: float = 30.05) -> float | None:
    """Connect, authenticate and send one fix; seconds from sending the fix to its 0x8001 (None: no ack)."""
    try:
        terminal = Terminal(port, phone)
    except OSError:
        return None
    try:
        if terminal.authenticate(code) != 0:
            return None
        started = time.perf_counter()
        when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=secrets.randbelow(600))
        if terminal.location(when, lat, 120.05) != 0:
            return None
        return time.perf_counter() - started
    except OSError:
        return None
    finally:
        terminal.close()


# --- the world the probe needs, made through the product's own surface -----------------------------------


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)  # username → bearer token
    users: dict[str, object] = field(default_factory=dict)  # username → User (in-process)
    devices: dict[str, dict] = field(default_factory=dict)  # label → {"id", "phone", "code"}
    restricted: dict[int, list[str]] = field(default_factory=dict)  # person id → markers
    setup_failures: list[str] = field(default_factory=list)
    known: dict[str, int] = field(default_factory=dict)  # one id per path parameter name (schemathesis)
    osmand_credential: str = ""
    extra_ids: dict[str, str] = field(default_factory=dict)  # h02/watch/gt06 identifiers


def api_call(product: Product, world: World, username: str, method: str, path: str, body=None, ok=(200, 201)):
    answer = Http(product.port, world.tokens[username]).request(method, PREFIX + path, body)
    if answer.status not in ok:
        world.setup_failures.append(f"{username} {method} {path} → {answer.status} {answer.text[:160]}")
        return None
    return answer.json() if answer.body else {}


def build_world(product: Product) -> World:
    from backend.core.actions.accounts import create_token
    from backend.core.demo import LOGINS
    from backend.core.models import Jurisdiction, Role, User
    from backend.people.models import Case, Person

    world = World()
    for login in LOGINS:
        user = User.objects.get(username=login.username)
        world.users[login.username] = user
        world.tokens[login.username] = create_token(user=user, name="probe").plaintext
    offices = {key: Jurisdiction.objects.get(code=code) for key, code in OFFICES.items()}
    head = User.objects.filter(roles__role=Role.COUNTY_HEAD).first()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = dt.date.today()

    def active_cases(office, count: int) -> list:
        cases = Case.objects.filter(
            jurisdiction=office, kind="correction", status="active", sub_status="", person__is_minor=False
        ).order_by("pk")
        return list(cases[:count])

    minor = Person.objects.filter(is_minor=True).order_by("pk").first()
    minor_case = Case.objects.filter(person=minor).order_by("pk").first()
    dc_cases, xc_cases, ns_cases = (active_cases(offices[k], 2) for k in ("dc", "xc", "ns"))
    # label → (officer key, case, latitude of its fixes)
    wearers = {
        "dc_a": ("dc", dc_cases[0], 30.0511),
        "dc_sealed": ("dc", dc_cases[1], SEALED_LAT),
        "xc_minor": ("xc", minor_case, MINOR_LAT),
        "xc_b": ("xc", xc_cases[0], 30.0622),
        "ns_c": ("ns", ns_cases[0], 30.0733),
    }
    port = product.ports["jt808"]
    for n, (label, (office, case, lat)) in enumerate(wearers.items()):
        officer = OFFICERS[office]
        phone = f"0199{n + 1:08d}"
        made = api_call(product, world, officer, "POST", "/devices", {
            "jurisdiction_id": offices[office].pk, "kind": "watch", "protocol": "jt808", "identifier": phone,
            "label": f"探针{label}",
        })  # fmt: skip
        if made is None:
            continue
        world.devices[label] = {"id": made["id"], "phone": phone, "code": made["credential"], "lat": lat}
        api_call(
            product, world, officer, "POST", f"/devices/{made['id']}/assign", {"person_id": case.person_id}
        )
        api_call(product, world, officer, "POST", "/zones", {
            "name": f"探针区域{label}", "kind": "inclusion", "person_id": case.person_id,
            "geometry": {"type": "circle", "lat": 30.0, "lon": 120.0, "radius_m": 300},
        }, ok=(201,))  # fmt: skip
        api_call(product, world, officer, "POST", "/checkins", {
            "case_id": case.pk, "kind": "written", "at": (now - dt.timedelta(hours=3)).isoformat(),
        }, ok=(201,))  # fmt: skip
        api_call(product, world, officer, "POST", "/sanctions",
                 {"case_id": case.pk, "kind": "praise", "reason": "探针表扬"}, ok=(201,))  # fmt: skip
        api_call(product, world, officer, "POST", "/leave-requests", {
            "case_id": case.pk, "starts_on": str(today + dt.timedelta(days=10)),
            "ends_on": str(today + dt.timedelta(days=12)), "destination": f"探针去向{label}", "reason": "探亲",
        }, ok=(201,))  # fmt: skip
        if head is not None and label in ("dc_a", "xc_minor"):
            proposed = api_call(product, world, officer, "POST", "/location-orders", {
                "case_id": case.pk, "ground": "2", "facts": f"探针事实{label}", "starts_on": str(today),
                "ends_on": str(today + dt.timedelta(days=40)), "notice_signed_on": str(today),
            }, ok=(201,))  # fmt: skip
            if proposed and head.username in world.tokens:  # in force once the county head approves (Art. 29)
                api_call(
                    product, world, head.username, "POST", f"/location-orders/{proposed['id']}/approve", {}
                )
    # Unworn devices the other checks use: a JT/T 808 watch in the office's drawer, an OsmAnd phone, and one
    # of each text protocol.
    extra = api_call(product, world, "demo_officer_dc", "POST", "/devices", {
        "jurisdiction_id": offices["dc"].pk, "kind": "watch", "protocol": "jt808", "identifier": "019900000099",
        "label": "探针健康检查",
    })  # fmt: skip
    if extra:
        world.devices["health"] = {
            "id": extra["id"],
            "phone": "019900000099",
            "code": extra["credential"],
            "lat": 30.05,
        }
    phone = api_call(product, world, "demo_officer_dc", "POST", "/devices",
                     {"jurisdiction_id": offices["dc"].pk, "kind": "phone", "protocol": "osmand"})  # fmt: skip
    if phone:
        world.osmand_credential = phone["credential"]
    for protocol, identifier in (("h02", "4210051415"), ("watch", "9705141740"), ("gt06", "868120145233604")):
        if api_call(product, world, "demo_officer_dc", "POST", "/devices", {
            "jurisdiction_id": offices["dc"].pk, "kind": "tag" if protocol != "watch" else "watch",
            "protocol": protocol, "identifier": identifier,
        }):  # fmt: skip
            world.extra_ids[protocol] = identifier

    time.sleep(6)  # the gateway reads device registrations every 5 s
    for label, device in world.devices.items():
        if label == "health":
            continue
        send_fixes(port, device, now - dt.timedelta(minutes=40), world)
    # The minor's tracker is handed on: unassigned, worn by the next person, who sends fixes of their own.
    if "xc_minor" in world.devices:
        device = world.devices["xc_minor"]
        api_call(product, world, "demo_officer_xc", "POST", f"/devices/{device['id']}/unassign")
        api_call(product, world, "demo_officer_xc", "POST", f"/devices/{device['id']}/assign",
                 {"person_id": xc_cases[1].person_id})  # fmt: skip
        time.sleep(6)
        send_fixes(port, {**device, "lat": 30.0844}, now - dt.timedelta(minutes=10), world)
    # A file sealed afterwards (update_person; nobody holds a grant for it then).
    if len(dc_cases) > 1:
        # The change is made, but the officer loses the file at once, so the answer is already a 404.
        sealed = f"/persons/{dc_cases[1].person_id}"
        api_call(product, world, "demo_officer_dc", "PATCH", sealed, {"is_sealed": True}, ok=(200, 404))
    time.sleep(3)  # the writer's hooks (alerts, deliveries) settle
    world.restricted = restricted_markers()
    # What the probe wrote about them is theirs too: the leave's destination, the order's facts.
    for label in ("xc_minor", "dc_sealed"):
        person = wearers[label][1].person_id
        if person in world.restricted:
            world.restricted[person] += [f"探针去向{label}", f"探针事实{label}"]
    person = dc_cases[0].person
    world.known = {
        "person_id": person.pk, "case_id": dc_cases[0].pk, "jurisdiction_id": offices["dc"].pk,
        "user_id": world.users["demo_officer_dc"].pk,
    }  # fmt: skip
    from backend.monitoring.models import Alert, Zone

    if "dc_a" in world.devices:
        world.known["device_id"] = world.devices["dc_a"]["id"]
    if zone := Zone.objects.filter(person=person).first():
        world.known["zone_id"] = zone.pk
    if alert := Alert.objects.filter(person=person).first():
        world.known["alert_id"] = alert.pk
    return world


def send_fixes(port: int, device: dict, start: dt.datetime, world: World) -> None:
    """Four fixes a minute apart outside the person's zone, the second with the SOS bit."""
    try:
        terminal = Terminal(port, device["phone"])
        if terminal.authenticate(device["code"]) != 0:
            world.setup_failures.append(f"device {device['phone']}: authentication refused")
            return
        for n in range(4):
            lat = round(device["lat"] + n * 1e-6, 6)
            result = terminal.location(
                start + dt.timedelta(minutes=n), lat, 120.012345, alarm=1 if n == 1 else 0
            )
            if result != 0:
                world.setup_failures.append(f"device {device['phone']}: fix {n} answered {result}")
        terminal.close()
    except OSError as exc:
        world.setup_failures.append(f"device {device['phone']}: {exc!r}")


def restricted_markers() -> dict[int, list[str]]:
    """For each minor's or sealed file: what of it must never reach a user without a grant."""
    from backend.monitoring.models import Position, Zone
    from backend.people.models import Person

    found = {}
    for person in Person.objects.filter(is_minor=True) | Person.objects.filter(is_sealed=True):
        markers = [person.name, person.id_number]
        markers += [phone.number for phone in person.phones.all()]
        markers += [contact.name for contact in person.contacts.all() if contact.name]
        markers += [a for a in (person.residence_address, person.household_address) if a]
        if person.residence_point:
            markers.append(repr(person.residence_point["lat"]))
        for position in Position.objects.filter(person=person):
            if position.point:
                markers.append(repr(position.point[0]))
        markers += [zone.name for zone in Zone.objects.filter(person=person)]
        found[person.pk] = sorted(set(markers))
    return found


# --- 1. IDOR over every object and role -------------------------------------------------------------------

# Path and query parameters → the kind of object they name.
ID_KINDS = {
    "jurisdiction_id": "jurisdiction", "parent_id": "jurisdiction", "user_id": "user", "recipient_id": "user",
    "person_id": "person", "case_id": "case", "team_id": "team", "device_id": "device", "alert_id": "alert",
    "order_id": "order", "zone_id": "zone", "delivery_id": "delivery", "checkin_id": "checkin",
    "leave_id": "leave", "sanction_id": "sanction", "jurisdiction": "jurisdiction_code",
}  # fmt: skip
MODELS = {
    "jurisdiction": "core.Jurisdiction", "user": "core.User", "token": "core.ApiToken", "person": "people.Person",
    "case": "people.Case", "team": "people.Team", "device": "monitoring.Device", "alert": "monitoring.Alert",
    "order": "monitoring.LocationOrder", "zone": "monitoring.Zone", "delivery": "notifications.Delivery",
    "rule": "notifications.RoutingRule", "checkin": "supervision.Checkin", "leave": "supervision.LeaveRequest",
    "sanction": "supervision.Sanction", "suggestion": "supervision.SanctionSuggestion",
    "followup": "supervision.FollowUp", "due": "supervision.DueItem",
}  # fmt: skip
# What the rows of each list are.
LIST_KINDS = {
    "/jurisdictions": "jurisdiction", "/users": "user_admin", "/tokens": "token", "/persons": "person",
    "/cases": "case", "/teams": "team", "/devices": "device", "/alerts": "alert", "/location-orders": "order",
    "/zones": "zone", "/notifications/deliveries": "delivery", "/notifications/routing-rules": "rule",
    "/checkins": "checkin", "/leave-requests": "leave", "/sanctions": "sanction",
    "/sanctions/suggestions": "suggestion", "/followups": "followup", "/due-items": "due",
    "/users/{user_id}/tokens": "token",
}  # fmt: skip
# Operations whose own rule is not the model's visible_to: what the operation checks first.
REACH_OVERRIDES = {
    "/users/{user_id}": "user_admin", "/users/{user_id}/tokens": "user_admin",
    "/persons/{person_id}/grants": "grantable",
}  # fmt: skip


PATH_KINDS = ("jurisdiction", "user", "person", "case", "team", "device", "alert", "order", "zone", "delivery",
              "checkin", "leave")  # fmt: skip
BASE_KIND = {"user_admin": "user", "grantable": "person", "contact_owner": "user"}


@dataclass
class Probe:
    user: str
    method: str
    path: str
    route: str
    body: dict | None = None
    kind: str | None = None  # the kind of the id the request names (path or filter)
    obj: object = None
    lists: str | None = None  # the kind of the rows, if the answer is a page
    device: int | None = None  # positions of this device: each fix must be one the reader may see
    console: bool = False
    strict: bool = False  # the id is the object the answer is about: a 200 means it is shown
    form: dict | None = None  # a console form (its CSRF field is added when sent)
    target: int | None = None  # a search for this person: found when in reach (the search works), else not


@dataclass
class Leak:
    user: str
    request: str
    what: str
    status: int
    excerpt: str


def reach_of(user) -> dict[str, set]:
    from django.apps import apps

    from backend.people.models import Person
    from backend.people.permissions import GRANT_ROLES
    from notifications.models import ContactPoint

    reach = {kind: set(apps.get_model(label).objects.visible_to(user).values_list("pk", flat=True))
             for kind, label in MODELS.items()}  # fmt: skip
    reach["user_admin"] = reach["user"] if user.is_admin else set()
    reach["contact_owner"] = set(ContactPoint.objects.visible_to(user).values_list("user_id", flat=True))
    reach["grantable"] = (
        set(Person.objects.in_subtree_of(user).values_list("pk", flat=True))
        if user.has_role(*GRANT_ROLES)
        else set()
    )
    from backend.core.models import Jurisdiction

    reach["jurisdiction_code"] = set(Jurisdiction.objects.visible_to(user).values_list("code", flat=True))
    return reach


def all_ids() -> dict[str, list]:
    from django.apps import apps

    from backend.core.models import Jurisdiction

    ids = {kind: list(apps.get_model(label).objects.order_by("pk").values_list("pk", flat=True))
           for kind, label in MODELS.items()}  # fmt: skip
    ids["jurisdiction_code"] = list(Jurisdiction.objects.order_by("pk").values_list("code", flat=True))
    return ids


def fill_required(param: dict, now: dt.datetime) -> str | None:
    name, schema = param["name"], param.get("schema", {})
    kinds = [schema, *schema.get("anyOf", [])]
    fmt = next((s.get("format") for s in kinds if s.get("format")), None)
    if fmt == "date-time":
        moment = now - dt.timedelta(days=2) if name == "from" else now + dt.timedelta(hours=1)
        return moment.isoformat()
    if fmt == "date" or name in ("from", "to"):
        day = now.date() - dt.timedelta(days=31) if name == "from" else now.date() + dt.timedelta(days=1)
        return day.isoformat()
    if name == "month":
        return f"{now:%Y-%m}"
    if name == "year":
        return str(now.year)
    return None


def plan_probes(openapi: dict, users: list[str], ids: dict[str, list], reach: dict, args) -> list[Probe]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    probes: list[Probe] = []
    rendered: Counter = Counter()
    for full, operations in openapi["paths"].items():
        op = operations.get("get")
        if op is None or not full.startswith(PREFIX):
            continue
        route = full[len(PREFIX) :]
        params = op.get("parameters", [])
        fixed, skip = {}, False
        for p in params:
            if p["in"] == "query" and p.get("required") and ID_KINDS.get(p["name"]) is None:
                value = fill_required(p, now)
                if value is None:
                    skip = True
                fixed[p["name"]] = value
        if skip:
            continue
        path_params = [p["name"] for p in params if p["in"] == "path"]
        query_ids = [p for p in params if p["in"] == "query" and p["name"] in ID_KINDS]
        lists = LIST_KINDS.get(route)
        if "limit" in {p["name"] for p in params}:
            fixed["limit"] = "200"

        def keep(route: str, user: str, kind: str, obj) -> bool:
            """Every id out of reach; of a PDF in reach only the first three per user (rendering all costs minutes)."""
            if not route.endswith(".pdf") or args.all_pdfs or obj not in reach[user][kind]:
                return True
            rendered[route, user] += 1
            return rendered[route, user] <= 3

        def url(path: str, query: dict) -> str:
            return PREFIX + path + ("?" + urllib.parse.urlencode(query) if query else "")

        for user in users:
            if path_params:
                (name,) = path_params
                kind = ID_KINDS[name]
                for obj in sample(ids[kind], args.ids):
                    if not keep(route, user, kind, obj):
                        continue
                    path = route.replace("{" + name + "}", str(obj))
                    probes.append(Probe(user, "GET", url(path, fixed), route, kind=REACH_OVERRIDES.get(route, kind),
                                        obj=obj, lists=lists, device=obj if route.endswith("/positions") else None,
                                        strict=True))  # fmt: skip
                continue
            required_ids = [p for p in query_ids if p.get("required")]
            if not required_ids:
                probes.append(Probe(user, "GET", url(route, fixed), route, lists=lists))
            for p in query_ids:
                kind = ID_KINDS[p["name"]]
                for obj in sample(ids[kind], args.ids):
                    if not keep(route, user, kind, obj):
                        continue
                    query = {**fixed, p["name"]: obj}
                    probes.append(Probe(user, "GET", url(route, query), route, lists=lists,
                                        kind=REACH_OVERRIDES.get(route, kind), obj=obj, strict=lists is None))  # fmt: skip
    return probes


def sample(values: list, count: int) -> list:
    if not count or len(values) <= count:
        return list(values)
    step = len(values) / count
    return [values[int(i * step)] for i in range(count)]


def search_probes(users: list[str], targets: list[int]) -> list[Probe]:
    """Finding a file by what identifies it: the list filters and the exact search."""
    from backend.people.models import Person

    probes = []
    for person in Person.objects.filter(pk__in=targets):
        phone = person.phones.first()
        for user in users:
            for key, value in (("id_number", person.id_number), ("name", person.name),
                               ("phone", phone.number if phone else None)):  # fmt: skip
                if value:
                    path = f"{PREFIX}/persons?" + urllib.parse.urlencode({key: value})
                    probes.append(Probe(user, "GET", path, "/persons", lists="person", target=person.pk))
            probes.append(Probe(user, "POST", f"{PREFIX}/persons/search", "/persons/search",
                                body={"id_number": person.id_number}, lists="person", target=person.pk))  # fmt: skip
    return probes


def console_probes(users: list[str], ids: dict[str, list], args) -> list[Probe]:
    pages = ["/", "/console/", "/console/alerts/", "/console/people/", "/console/devices/", "/console/approvals/",
             "/console/reports/"]  # fmt: skip
    probes = []
    for user in users:
        probes += [Probe(user, "GET", page, page, console=True) for page in pages]
        for kind, page in (("person", "/console/people/{}/"), ("alert", "/console/alerts/{}/"),
                           ("device", "/console/devices/{}/")):  # fmt: skip
            for obj in sample(ids[kind], args.ids):
                probes.append(
                    Probe(user, "GET", page.format(obj), page, kind=kind, obj=obj, console=True, strict=True)
                )
    return probes


def judge(probe: Probe, answer: Answer, reach: dict, markers: list[str], seen_fixes) -> list[Leak]:
    leaks = []

    def leak(what: str, excerpt: str = "") -> None:
        leaks.append(Leak(probe.user, f"{probe.method} {probe.path}", what, answer.status, excerpt[:300]))

    mine = reach[probe.user]
    if answer.status == 200 and probe.strict and probe.obj not in mine[probe.kind]:
        leak(f"200 for {probe.kind} {probe.obj} out of reach", answer.text)
    text = answer.text
    content_type = answer.headers.get("content-type", "")
    if answer.status == 200 and "application/pdf" in content_type:
        text = pdf_text(answer.body)
    for marker in markers:
        if marker and marker in text:
            at = text.find(marker)
            leak(f"restricted file's data {marker!r} in the answer", text[max(0, at - 120) : at + 120])
    if answer.status != 200 or "application/json" not in content_type:
        return leaks
    body = answer.json()
    items = body.get("items") if isinstance(body, dict) else body if isinstance(body, list) else None
    if (
        probe.route == "/notifications/contact-points"
        and items
        and probe.obj not in (None, *mine["contact_owner"])
    ):
        leak(f"contact points of user {probe.obj} shown", json.dumps(items, ensure_ascii=False))
    if probe.lists and isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get("id") not in mine[probe.lists]:
                leak(
                    f"list row {probe.lists} {item.get('id')} out of reach",
                    json.dumps(item, ensure_ascii=False),
                )
    alerts = items if probe.lists == "alert" else [body] if probe.route == "/alerts/{alert_id}" else []
    for alert in alerts or []:
        person = alert.get("person_id") if isinstance(alert, dict) else None
        if person is not None and person not in mine["person"]:
            if alert.get("restricted") is not True or alert.get("details"):
                leak(
                    f"alert {alert.get('id')} of a file out of reach not withheld",
                    json.dumps(alert, ensure_ascii=False),
                )
    if probe.device is not None and isinstance(items, list):
        allowed = seen_fixes(probe.user, probe.device)
        for fix in items:
            if fix.get("id") not in allowed:
                leak(f"fix {fix.get('id')} on device {probe.device} the reader may not see", json.dumps(fix))
    return leaks


def check_idor(product: Product, world: World, args) -> list[tuple]:
    from backend.core.demo import LOGINS
    from backend.monitoring.models import Device, Position

    users = [login.username for login in LOGINS]
    roles = {login.username: login.role.value for login in LOGINS}
    anonymous = Http(product.port).get(f"{PREFIX}/openapi.json")
    openapi_answer = Http(product.port, world.tokens["demo_admin"]).get(f"{PREFIX}/openapi.json")
    openapi = openapi_answer.json()
    reach = {u: reach_of(world.users[u]) for u in users}
    ids = all_ids()
    markers = {
        u: sorted(
            {
                m
                for person, found in world.restricted.items()
                if person not in reach[u]["person"]
                for m in found
            }
        )
        for u in users
    }
    fixes_cache: dict[tuple, set] = {}
    cache_lock = threading.Lock()

    def seen_fixes(user: str, device_id: int) -> set:
        with cache_lock:
            key = (user, device_id)
            if key not in fixes_cache:
                device = Device.objects.get(pk=device_id)
                fixes_cache[key] = set(
                    Position.objects.on_device_seen_by(device, world.users[user]).values_list("pk", flat=True)
                )
            return fixes_cache[key]

    targets = [*world.restricted, world.known["person_id"]]  # the restricted files and one ordinary file
    probes = plan_probes(openapi, users, ids, reach, args) + search_probes(users, targets)
    consoles = {}
    signed_in = 0
    for user in users:
        session = Http(product.port)
        if session.sign_in(user, DEMO_PASSWORD):
            signed_in += 1
        consoles[user] = session
    probes += console_probes(users, ids, args)
    # The console's search form, by the ID number of each restricted file.
    from backend.people.models import Person

    csrf = {}
    for user in users:
        page = consoles[user].get("/console/people/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        csrf[user] = match.group(1) if match else ""
        for person in Person.objects.filter(pk__in=targets):
            probes.append(Probe(user, "POST", "/console/people/", "/console/people/ (search)", console=True,
                                form={"id_number": person.id_number}, target=person.pk))  # fmt: skip
    clients = {u: Http(product.port, world.tokens[u]) for u in users}
    print(f"  IDOR: {len(probes):,} requests planned for {len(users)} users", flush=True)
    answers: list[tuple[Probe, Answer]] = []
    started = time.monotonic()

    def send(probe: Probe) -> tuple[Probe, Answer]:
        client = consoles[probe.user] if probe.console else clients[probe.user]
        if probe.form is not None:
            return probe, client.request(
                probe.method, probe.path, form={**probe.form, "csrfmiddlewaretoken": csrf[probe.user]}
            )
        return probe, client.request(probe.method, probe.path, probe.body)

    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        for n, result in enumerate(pool.map(send, probes), start=1):
            answers.append(result)
            if n % 5000 == 0:
                print(f"    {n:,} answered ({time.monotonic() - started:.0f} s)", flush=True)
        # The scheduler and the sender go on meanwhile (due-item alerts, deliveries): the objects made during
        # the run are probed too, in a second pass, and judged by the rule as it stands afterwards; every
        # other object by the rule it was probed under.
        later_ids = all_ids()
        for user in users:
            after = reach_of(world.users[user])
            for kind, ids_after in after.items():
                base = BASE_KIND.get(kind, kind)
                new = set(later_ids.get(base, [])) - set(ids.get(base, []))
                reach[user][kind] |= ids_after & new
        fresh = {kind: sorted(set(later_ids[kind]) - set(ids[kind])) for kind in ids}
        second = [p for p in plan_probes(openapi, users, fresh, reach, args) if p.strict]
        second += [p for p in console_probes(users, fresh, args) if p.strict]
        answers += pool.map(send, second)
    elapsed = time.monotonic() - started
    new_objects = sum(len(v) for k, v in fresh.items() if k in PATH_KINDS)
    leaks: list[Leak] = []
    per_user = Counter()
    statuses = Counter()
    errors = []
    by_route: Counter = Counter()
    names = {p.pk: p.name for p in Person.objects.filter(pk__in=targets)}
    searches_in_reach = searches_found = 0
    seen_by_holder: dict[int, set] = defaultdict(set)  # control: the markers do show where they may
    for probe, answer in answers:
        per_user[probe.user] += 1
        statuses[answer.status] += 1
        by_route[probe.route, answer.status] += 1
        if answer.status >= 500 or answer.status == 0:
            errors.append(f"{probe.user} {probe.method} {probe.path} → {answer.status}")
        leaks += judge(probe, answer, reach, markers[probe.user], seen_fixes)
        for person, found in world.restricted.items():
            if person in reach[probe.user]["person"]:
                seen_by_holder[person].update(m for m in found if m in answer.text)
        if probe.target is not None and probe.target in reach[probe.user]["person"]:
            searches_in_reach += 1
            found = (
                names[probe.target] in answer.text
                if probe.console
                else f'"id": {probe.target},' in answer.text
            )
            searches_found += found and answer.status == 200
    leaks_by_user = Counter(leak.user for leak in leaks)
    print(f"  IDOR: {len(answers):,} answers in {elapsed:.0f} s; statuses {dict(sorted(statuses.items()))}")
    print(f"  {'user':<22}{'role':<18}{'requests':>9}{'leaks':>7}  in reach: persons  cases  devices  alerts")
    for user in users:
        r = reach[user]
        print(f"  {user:<22}{roles[user]:<18}{per_user[user]:>9,}{leaks_by_user[user]:>7}  "
              f"{len(r['person']):>17}{len(r['case']):>7}{len(r['device']):>9}{len(r['alert']):>8}")  # fmt: skip
    odd = ", ".join(
        f"{route} {status} ×{n}"
        for (route, status), n in sorted(by_route.items())
        if status not in (200, 403, 404)
    )
    if odd:
        print(f"  other answers (not 200/403/404): {odd}")
    for leak in leaks[:40]:
        print(f"  LEAK {leak.user}: {leak.request} → {leak.status}: {leak.what}\n       {leak.excerpt!r}")
    for error in errors[:20]:
        print(f"  5xx {error}")
    restricted_count = len(world.restricted)
    return [
        ("IDOR: /openapi.json without sign-in", f"{anonymous.status}", anonymous.status == 401),
        ("IDOR: requests (API + console), users", f"{len(answers):,}, {len(users)} users, {signed_in} console sessions",
         signed_in == len(users)),
        ("IDOR: objects probed by id", ", ".join(f"{k} {len(later_ids[k])}" for k in PATH_KINDS)
         + f" ({new_objects} of them made during the run: a second pass)", True),
        ("IDOR: restricted files (minor/sealed) watched", f"{restricted_count} files, "
         f"{sum(len(m) for m in world.restricted.values())} markers", restricted_count >= 2),
        ("IDOR: the minor's markers seen by its grant holder (control)", ", ".join(
            f"file {p}: {len(seen_by_holder[p])} of {len(m)}" for p, m in world.restricted.items()
            if any(p in reach[u]["person"] for u in users)),
         any(any(re.fullmatch(r"-?\d+\.\d+", m) for m in seen_by_holder[p]) for p in world.restricted)),
        ("IDOR: searches for a file in reach that find it (control)", f"{searches_found} of {searches_in_reach}",
         searches_in_reach > 0 and searches_found == searches_in_reach),
        ("IDOR: leaks (out-of-reach 200, rows, fixes, markers)", f"{len(leaks)}", not leaks),
        ("IDOR: 5xx answers", f"{len(errors)}", not errors),
    ]  # fmt: skip


# --- 2. schemathesis --------------------------------------------------------------------------------------


def check_schemathesis(product: Product, world: World, args) -> list[tuple]:
    try:
        import schemathesis
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import strategies as st
        from schemathesis.checks import not_a_server_error
        from schemathesis.specs.openapi.checks import (
            content_type_conformance,
            response_schema_conformance,
            status_code_conformance,
        )
    except ImportError as exc:
        return [("schemathesis", f"not installed ({exc})", False)]
    from django.contrib.auth.hashers import make_password

    from backend.core.actions.accounts import create_token
    from backend.core.models import Jurisdiction, Role, User

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    raw = Http(product.port, world.tokens["demo_admin"]).get(f"{PREFIX}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw)
    base_url = f"http://127.0.0.1:{product.port}"
    home = Jurisdiction.objects.get(code="990102000000")
    password = make_password(secrets.token_urlsafe(16))  # hashed once: the callers sign in by token only
    counts = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    started = time.monotonic()

    def make_run(operation, headers: dict):
        def run_operation(strategy) -> None:
            @settings(max_examples=args.examples, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(case=strategy)
            def each(case):
                response = case.call(base_url=base_url, headers=headers)
                counts["requests"] += 1
                if response.status_code >= 500:
                    counts["5xx"] += 1
                try:
                    case.validate_response(response, checks=checks, headers=headers)
                except BaseExceptionGroup as exc:
                    counts["violations"] += 1
                    first = " ".join(str(exc).strip().splitlines()[:6])
                    failures.append(f"{operation.label} → {response.status_code}: {first[:400]}")
                except AssertionError as exc:
                    counts["violations"] += 1
                    failures.append(f"{operation.label} → {response.status_code}: {str(exc)[:400]}")

            each()

        return run_operation

    for index, operation in enumerate(operations):
        # A fresh county officer + admin per operation: one that revokes its token or roles spoils nothing.
        user = User.objects.create(username=f"probe_st_{index}", display_name="探针", jurisdiction=home,
                                   password=password)  # fmt: skip
        user.set_roles([Role.COUNTY_OFFICER, Role.ADMIN])
        headers = {"Authorization": f"Bearer {create_token(user=user, name='schemathesis').plaintext}"}
        if operation.path.endswith("/checkins/app"):
            headers = {"Authorization": f"Device {world.osmand_credential}"}
        modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
        strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
        names = [p.name for p in operation.path_parameters]
        if names and all(name in world.known for name in names):
            strategies.append(operation.as_strategy(path_parameters={n: world.known[n] for n in names}))

        run_operation = make_run(operation, headers)
        try:
            run_operation(st.one_of(strategies))
        except Exception as exc:  # a generation error is a finding, not a crash of the probe
            counts["errors"] += 1
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:300]}")
    elapsed = time.monotonic() - started
    print(f"  schemathesis: {len(operations)} operations, {counts['requests']:,} requests in {elapsed:.0f} s")
    for failure in failures[:30]:
        print(f"  FAIL {failure}")
    return [
        ("schemathesis: operations, requests", f"{len(operations)}, {counts['requests']:,} "
         f"({args.examples} examples per operation)", len(operations) > 0 and counts["requests"] > 0),
        ("schemathesis: 5xx answers", f"{counts['5xx']}", counts["5xx"] == 0),
        ("schemathesis: schema violations", f"{counts['violations'] - counts['5xx'] if counts['violations'] else 0}"
         f" (+{counts['errors']} errors)", counts["violations"] == 0 and counts["errors"] == 0),
    ]  # fmt: skip


def check_boundary(product: Product, world: World) -> list[tuple]:
    """The issue's boundary requests (each was a 500) and 32 person-file PDFs rendered at once."""
    case, person = world.known["case_id"], world.known["person_id"]
    big = 2**63
    paths = [
        f"/followups/compliance?case_id={case}&year=9999", f"/followups/compliance?case_id={case}&year=-198",
        f"/followups/compliance?case_id={case}&year=10000", f"/checkins/compliance?case_id={case}&month=0000-01",
        "/due-items?from=0001-01-01&to=9999-12-31", "/reports/alerts.csv?from=0001-01-01&to=0001-12-31",
        f"/alerts?person_id={big}", f"/zones?person_id={big}", f"/cases?person_id={big}",
        f"/devices?person_id={big}", f"/location-orders?person_id={big}", f"/persons/{big}",
        f"/devices/{big}/positions?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
    ]  # fmt: skip
    client = Http(product.port, world.tokens["demo_county_officer"])
    wrong = []
    for path in paths:
        answer = client.get(PREFIX + path)
        shaped = False
        with contextlib.suppress(ValueError):
            shaped = {"code", "message", "details"} <= set(answer.json())
        if not (400 <= answer.status < 500 and shaped):
            wrong.append(f"GET {PREFIX}{path} → {answer.status} {answer.text[:120]}")
    for line in wrong:
        print(f"  BOUNDARY {line}")
    admin = Http(product.port, world.tokens["demo_admin"])
    barrier = threading.Barrier(32)

    def render(_) -> int:
        barrier.wait()
        answer = admin.get(f"{PREFIX}/reports/person/{person}.pdf")
        return answer.status if answer.body.startswith(b"%PDF") else -answer.status

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        statuses = Counter(pool.map(render, range(32)))
    return [
        ("boundary: the issue's requests are 4xx with the error shape", f"{len(paths) - len(wrong)} of {len(paths)}",
         not wrong),
        ("boundary: 32 person-file PDFs rendered at once", f"statuses {dict(statuses)}", statuses == {200: 32}),
    ]  # fmt: skip


# --- 3. malformed frames ----------------------------------------------------------------------------------


def gateway_totals(product: Product, world: World, after: float | None = None) -> dict:
    """The summed counters of /api/v1/gateway/stats; with ``after``, once every running node wrote later."""
    client = Http(product.port, world.tokens["demo_admin"])
    deadline = time.time() + 30
    while True:
        body = client.get(f"{PREFIX}/gateway/stats").json()
        nodes = [n for n in body["nodes"] if n["running"]]
        if after is None or (
            nodes and all(dt.datetime.fromisoformat(n["updated_at"]).timestamp() > after for n in nodes)
        ):
            return body["totals"]
        if time.time() > deadline:
            return body["totals"]
        time.sleep(0.5)


def delta(before: dict, after: dict, path: str) -> int:
    """How much a counter grew (``a|b``: the sum of two counters)."""
    if "|" in path:
        return sum(delta(before, after, part) for part in path.split("|"))
    group, _, key = path.partition(".")
    a, b = after.get(group, {} if key else 0), before.get(group, {} if key else 0)
    if key:
        return a.get(key, 0) - b.get(key, 0)
    return a - b


def positions() -> int:
    from backend.monitoring.models import Position

    return Position.objects.count()


def jt808_wire(phone: str, msg_id: int, serial: int, body: bytes, length_field: int) -> bytes:
    from gps_gateway.protocols import jt808
    from gps_gateway.protocols.jt808.frames import checksum

    payload = msg_id.to_bytes(2, "big") + length_field.to_bytes(2, "big") + bytes.fromhex(phone)
    payload += serial.to_bytes(2, "big") + body
    return b"\x7e" + jt808.escape(payload + bytes([checksum(payload)])) + b"\x7e"


def quiet(sock: socket.socket, seconds: float) -> bytes:
    """What comes back within ``seconds`` (b"" if nothing or closed)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(4096)
    except (TimeoutError, ConnectionError):
        return b""


def closed(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        pass
    return True


def check_frames(product: Product, world: World) -> list[tuple]:
    from gps_gateway.protocols.jt808.frames import build_frame
    from gps_gateway.simulate import gt06_login, jt808_location_body

    ports = product.ports
    device = world.devices["health"]
    phone = device["phone"]
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=20)
    h02, watch = world.extra_ids.get("h02"), world.extra_ids.get("watch")
    time.sleep(11)  # a fresh stats row from each worker
    before_stats = gateway_totals(product, world)
    before_rows = positions()
    sent_at = time.time()
    rows: list[tuple[str, int, str]] = []  # (frame, sent, counter path)
    legit = 0  # frames that must be stored: the controls that show a connection goes on after a refusal

    # JT/T 808 on an authenticated connection: body length field that disagrees (+3, -2), bad checksum,
    # then a good fix (stored: the connection goes on).
    terminal = Terminal(ports["jt808"], phone)
    terminal.authenticate(device["code"])
    body = jt808_location_body(when, 30.05, 120.05)
    terminal.sock.sendall(jt808_wire(phone, 0x0200, 90, body, len(body) + 3))
    terminal.sock.sendall(jt808_wire(phone, 0x0200, 91, body, len(body) - 2))
    rows.append(
        ("JT/T 808 0x0200 body length field ≠ body (+3, −2)", 2, "frames_refused.jt808_length_mismatch")
    )
    bad = bytearray(
        build_frame(0x0200, phone, 92, jt808_location_body(when + dt.timedelta(seconds=1), 30.05, 120.05))
    )
    bad[-2] ^= 0x55 if bad[-2] not in (0x7E ^ 0x55, 0x7D ^ 0x55) else 0x11  # the checksum byte
    terminal.sock.sendall(bytes(bad))
    rows.append(("JT/T 808 frame with a wrong checksum", 1, "malformed.jt808"))
    if terminal.location(when + dt.timedelta(seconds=2), 30.05, 120.05) == 0:
        legit += 1
    terminal.close()
    # JT/T 808 fix before authentication; wrong auth code; unknown terminal; re-registration (tag takeover).
    stranger = Terminal(ports["jt808"], phone)
    stranger.send(0x0200, jt808_location_body(when + dt.timedelta(seconds=3), 30.05, 120.05))
    quiet(stranger.sock, 1)
    rows.append(("JT/T 808 0x0200 before authentication", 1, "auth_failures.jt808_before_auth"))
    stranger.authenticate("wrong-code-0000")
    rows.append(("JT/T 808 0x0102 with a wrong auth code", 1, "auth_failures.jt808"))
    stranger.close()
    takeover = Terminal(ports["jt808"], phone)
    result = takeover.register("INTRUDR")
    takeover.send(0x0200, jt808_location_body(when + dt.timedelta(seconds=4), 30.05, 120.05, alarm=1))
    quiet(takeover.sock, 1)
    takeover.close()
    rows.append((f"JT/T 808 0x0100 for a registered terminal (answer result {result}) + SOS fix", 1,
                 "registrations_refused"))  # fmt: skip
    unknown = Terminal(ports["jt808"], "019988887777")
    unknown.register("UNKNOWN")
    unknown.close()
    rows.append(("JT/T 808 0x0100 from a terminal never provisioned", 1, "unknown_devices.jt808"))

    # H02: a V1 cut before its status word, then a whole one (stored); a V1 of an unknown device.
    def h02_v1(device_id: str, at: dt.datetime) -> bytes:
        return f"*HQ,{device_id},V1,{at:%H%M%S},A,3003.0000,N,12003.0000,E,000.00,000,{at:%d%m%y},FFFFFBFF#".encode()

    if h02:
        with socket.create_connection(("127.0.0.1", ports["h02"]), timeout=10) as sock:
            full = h02_v1(h02, when)
            sock.sendall(full[: full.index(b",FFFFFBFF")] + b"#")
            sock.sendall(h02_v1(h02, when + dt.timedelta(seconds=1)))
            time.sleep(1)
        legit += 1
        rows.append(("H02 V1 cut short before the status word", 1, "frames_refused.h02_cut_short"))
        with socket.create_connection(("127.0.0.1", ports["h02"]), timeout=10) as sock:
            sock.sendall(h02_v1("4210059999", when))
            time.sleep(0.5)
        rows.append(("H02 V1 of an unknown device", 1, "unknown_devices.h02"))
    # Watch: length 0001 and 0000 on a whole UD, a UD cut short (too few fields); unknown device.
    if watch:
        ud = f"UD,{when:%d%m%y},{when:%H%M%S},A,30.05,N,120.05,E,0.0,0,0,8,80,90,0,0,00000000,0,0,460,0,0"
        with socket.create_connection(("127.0.0.1", ports["watch"]), timeout=10) as sock:
            sock.sendall(f"[3G*{watch}*0001*{ud}]".encode())
            sock.sendall(f"[3G*{watch}*0000*{ud}]".encode())
            short = f"UD,{when:%d%m%y},{when:%H%M%S},A"
            sock.sendall(f"[3G*{watch}*{len(short):04X}*{short}]".encode())
            quiet(sock, 1)
        rows.append(("Watch UD with length field 0001 / 0000", 2, "frames_refused.watch_length_field"))
        rows.append(("Watch UD cut short (too few fields)", 1, "frames_refused.watch_cut_short"))
        with socket.create_connection(("127.0.0.1", ports["watch"]), timeout=10) as sock:
            sock.sendall(f"[3G*9705149999*{len(ud):04X}*{ud}]".encode())
            quiet(sock, 0.5)
        rows.append(("Watch UD of an unknown device", 1, "unknown_devices.watch"))
    # GT06 login of an unknown IMEI.
    with socket.create_connection(("127.0.0.1", ports["gt06"]), timeout=10) as sock:
        sock.sendall(gt06_login("868120145299999"))
        quiet(sock, 0.5)
    rows.append(("GT06 login of an unknown IMEI", 1, "unknown_devices.gt06"))
    # Garbage and oversized input on each binary port: closed and counted.
    garbage = bytes(b for b in secrets.token_bytes(12_000) if b not in b"\x7e\x78\x79*$[#]")[:6000]
    shut = 0
    for protocol in ("jt808", "gt06", "h02", "watch"):
        with socket.create_connection(("127.0.0.1", ports[protocol]), timeout=10) as sock:
            with contextlib.suppress(OSError):
                sock.sendall(garbage)
            shut += closed(sock, 5)
    rows.append(
        (
            f"6 KB of garbage on each binary port (closed {shut}/4)",
            4,
            "connections_closed.garbage|connections_closed.buffer_full",
        )
    )
    with socket.create_connection(("127.0.0.1", ports["jt808"]), timeout=10) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(b"\x7e" + b"\x01" * 70_000)  # a frame that never ends, beyond the 64 KiB buffer
        over = closed(sock, 5)
    rows.append(
        (
            f"JT/T 808 frame of 70 KB without its end flag (closed: {over})",
            1,
            "connections_closed.garbage|connections_closed.buffer_full",
        )
    )
    # OsmAnd: unknown id, free-text alarm (stored without it), oversized body, oversized head.
    conn = http.client.HTTPConnection("127.0.0.1", ports["osmand"], timeout=10)
    conn.request(
        "GET", f"/?id=unknown{secrets.token_hex(4)}&timestamp={int(when.timestamp())}&lat=30.05&lon=120.05"
    )
    unknown_status = conn.getresponse().status
    conn.close()
    rows.append((f"OsmAnd fix of an unknown id (answer {unknown_status})", 1, "unknown_devices.osmand"))
    alarm_status = None
    if world.osmand_credential:
        conn = http.client.HTTPConnection("127.0.0.1", ports["osmand"], timeout=10)
        conn.request("GET", f"/?id={world.osmand_credential}&timestamp={int(when.timestamp())}&lat=30.05&lon=120.05"
                     "&alarm=call%20me%20at%20home")  # fmt: skip
        alarm_status = conn.getresponse().status
        conn.close()
        legit += 1  # the fix is kept; the free text is not
        rows.append((f"OsmAnd alarm= of free text (answer {alarm_status}; fix kept, alarm dropped)", 1,
                     "unknown_alarms.osmand"))  # fmt: skip
    with socket.create_connection(("127.0.0.1", ports["osmand"]), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
        big = quiet(sock, 3)
    with socket.create_connection(("127.0.0.1", ports["osmand"]), timeout=10) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 200_000 + b"\r\n\r\n")
        huge = quiet(sock, 3)
    rows.append((f"OsmAnd 50 MB body ({big[:12]!r}) and 200 KB head ({huge[:12]!r})", 2, "malformed.osmand"))

    time.sleep(1)
    after_rows = positions()
    after_stats = gateway_totals(product, world, after=sent_at + 1)
    from backend.monitoring.models import Position

    alarm_kept = list(
        Position.objects.filter(device__protocol="osmand", fix_time=when).values_list("alarms", flat=True)
    )
    second = dt.timedelta(seconds=1)
    stored_refused = (
        Position.objects.filter(
            device_id=device["id"], fix_time__in=[when, when + second, when + 3 * second, when + 4 * second]
        ).count()
        + Position.objects.filter(device__protocol="h02", fix_time=when).count()
        + Position.objects.filter(device__protocol="watch").count()
    )
    sent = sum(n for _, n, _ in rows)
    counted_ok, kinds_counted = True, 0
    by_counter: dict[str, int] = defaultdict(int)
    for _, n, path in rows:
        by_counter[path] += n
    print(
        f"  malformed frames: {sent} sent; positions {before_rows} → {after_rows} ({legit} controls expected)"
    )
    print(f"  {'frame':<80}{'sent':>5}  {'counter (Δ in /gateway/stats)':<58}{'Δ':>5}")
    for label, n, path in rows:
        got = delta(before_stats, after_stats, path)
        enough = got >= by_counter[path]
        counted_ok &= enough
        kinds_counted += enough
        print(f"  {label:<80}{n:>5}  {path:<58}{got:>5}{'' if enough else '  NOT COUNTED'}")
    growth = after_rows - before_rows
    return [
        ("frames: refused frames sent", f"{sent} ({len(rows)} kinds)", True),
        ("frames: stored from refused frames", f"{stored_refused} (positions +{growth}: the {legit} good frames "
         "sent after refused ones on the same connections)", stored_refused == 0 and growth == legit),
        ("frames: kinds counted in /gateway/stats", f"{kinds_counted} of {len(rows)}", counted_ok),
        ("frames: OsmAnd free-text alarm stored as", f"{alarm_kept!r}", alarm_kept in ([""], [])),
    ]  # fmt: skip


# --- 4. idle-connection flood -----------------------------------------------------------------------------


def check_flood(product: Product, world: World, args) -> list[tuple]:
    port = product.ports["jt808"]
    deadline = float(args.identify_seconds)
    sources = [f"127.0.0.{2 + i}" for i in range(args.flood_sources)]
    per_source = args.flood // len(sources)
    device = world.devices["health"]
    before = gateway_totals(product, world)

    async def flood() -> dict:
        gate = asyncio.Semaphore(300)
        loop = asyncio.get_running_loop()
        conns: list[dict] = []
        failed = 0

        async def watch(conn: dict) -> None:
            try:
                while await conn["reader"].read(4096):
                    pass
            except (ConnectionError, OSError):
                pass
            conn["closed"] = loop.time()

        async def open_one(source: str) -> None:
            nonlocal failed
            async with gate:
                try:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 10
                    )
                except (OSError, TimeoutError):
                    failed += 1
                    return
            conn = {"reader": reader, "writer": writer, "opened": loop.time(), "closed": None}
            writer.write(b"\x7e\x02\x00")  # the first three bytes of a 0x0200 that never comes
            conn["task"] = asyncio.create_task(watch(conn))
            conns.append(conn)

        await asyncio.gather(*(open_one(s) for s in sources for _ in range(per_source)))
        opened_all = loop.time()
        stop = asyncio.Event()

        async def trickle() -> None:  # one junk byte every few seconds on each open connection
            while not stop.is_set():
                await asyncio.sleep(args.trickle_seconds)
                for conn in conns:
                    if conn["closed"] is None and not conn["writer"].is_closing():
                        with contextlib.suppress(Exception):
                            conn["writer"].write(b"\x01")

        trickling = asyncio.create_task(trickle())
        await asyncio.sleep(2)
        refused = sum(1 for c in conns if c["closed"] is not None and c["closed"] - c["opened"] < 2.5)
        held_now = sum(1 for c in conns if c["closed"] is None)
        # The real terminal, while the flood is held.
        latency = await asyncio.to_thread(device_acked, port, device["phone"], device["code"])
        held_at_ack = sum(1 for c in conns if c["closed"] is None)
        await asyncio.sleep(max(0.0, opened_all + deadline + 12 - loop.time()))
        stop.set()
        await trickling
        lifetimes = [c["closed"] - c["opened"] for c in conns if c["closed"] is not None]
        by_deadline = [t for t in lifetimes if t >= 2.5]
        outlived = sum(1 for c in conns if c["closed"] is None)
        for conn in conns:
            conn["writer"].close()
            conn["task"].cancel()
        return {
            "opened": len(conns), "failed": failed, "refused": refused, "held": held_now, "held_at_ack": held_at_ack,
            "latency": latency, "closed_by_deadline": len(by_deadline), "outlived": outlived,
            "lifetime_min": min(by_deadline, default=0), "lifetime_max": max(by_deadline, default=0),
        }  # fmt: skip

    result = asyncio.run(flood())
    sent_at = time.time()
    after = gateway_totals(product, world, after=sent_at)
    per_ip = delta(before, after, "connections_refused.per_ip_limit")
    timed_out = delta(before, after, "connections_closed.identify_timeout")
    log_line = "did not identify" in product.output() and "connection cap" in product.output()
    latency = result["latency"]
    print(
        f"  flood: {result['opened']:,} opened, {result['refused']:,} refused at accept, {result['held']:,} held; "
        f"terminal acked in {'-' if latency is None else f'{latency * 1000:.1f} ms'} with {result['held_at_ack']:,} "
        f"held; {result['closed_by_deadline']:,} closed {result['lifetime_min']:.2f}–{result['lifetime_max']:.2f} s "
        f"after connecting; {result['outlived']} outlived the deadline"
    )
    cap_total = args.per_source * 2 * len(sources)  # the cap is per worker; two workers
    return [
        ("flood: connections opened (sources × each)", f"{result['opened']:,} ({len(sources)} × {per_source:,}; "
         f"connect failures {result['failed']})", result["opened"] > 0),
        ("flood: refused at once by the per-source cap", f"{result['refused']:,} (stats per_ip_limit +{per_ip:,}; "
         f"cap {args.per_source}/source/worker)", result["refused"] > 0 and per_ip == result["refused"]
         and result["held"] <= cap_total),
        ("flood: held, then closed by the identify deadline", f"{result['closed_by_deadline']:,} of {result['held']:,} "
         f"after {result['lifetime_min']:.1f}–{result['lifetime_max']:.1f} s (deadline {deadline:.0f} s; stats "
         f"identify_timeout +{timed_out:,}); outlived {result['outlived']}",
         result["outlived"] == 0 and timed_out >= result["closed_by_deadline"] and result["closed_by_deadline"] > 0),
        ("flood: real JT/T 808 terminal acked meanwhile", "no ack" if latency is None else
         f"ack {latency * 1000:.1f} ms with {result['held_at_ack']:,} flood connections open", latency is not None),
        ("flood: refusals and closings logged", "yes" if log_line else "no", log_line),
    ]  # fmt: skip


# --- 5. kill -9 of each process ---------------------------------------------------------------------------


def check_kill(product: Product, world: World) -> list[tuple]:
    device = world.devices["health"]
    port = product.ports["jt808"]
    start_lines = {"gateway": "gateway ready", "sender": "通知发送进程已启动", "scheduler": "调度进程已启动"}
    rows = []
    for name in ("gateway", "sender", "scheduler", "web"):
        before = product.children()
        if set(before) != {"web", "gateway", "sender", "scheduler"}:
            rows.append((f"kill -9 {name}", f"children before: {sorted(before)}", False))
            continue
        started_count = {k: product.output().count(line) for k, line in start_lines.items()}
        web_misses = 0
        os.kill(before[name], signal.SIGKILL)

        def back(name=name, before=before, started_count=started_count) -> bool:
            nonlocal web_misses
            if name != "web" and not product.healthy():
                web_misses += 1
            now = product.children()
            if now.get(name) in (None, before[name]):
                return False
            if name == "web":
                return product.healthy()
            if product.output().count(start_lines[name]) <= started_count[name]:
                return False
            return name != "gateway" or device_acked(port, device["phone"], device["code"]) is not None

        took = wait_for(back, 60, step=0.05)
        after = product.children()
        others_same = {k: v for k, v in after.items() if k != name} == {
            k: v for k, v in before.items() if k != name
        }
        logged = f"进程 {name}（pid {before[name]}）意外退出（信号 9）" in product.output()
        rows.append((
            f"kill -9 {name}",
            "not back in 60 s" if took is None else f"serving again after {took:.2f} s; others' pids "
            f"{'unchanged' if others_same else 'CHANGED'}; web misses meanwhile {web_misses}; logged {logged}",
            took is not None and others_same and web_misses == 0 and logged,
        ))  # fmt: skip
    # One gateway worker: the gateway's own supervisor restarts it.
    before = product.children()
    workers = product.gateway_workers()
    if len(workers) < 2:
        rows.append(("kill -9 one gateway worker", f"workers: {sorted(workers)}", False))
        return rows
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    served = []

    def worker_back() -> bool:
        served.append(device_acked(port, device["phone"], device["code"]) is not None)
        return len(product.gateway_workers() - workers) == 1 and served[-1]

    took = wait_for(worker_back, 60, step=0.05)
    same = product.children() == before
    logged = f"(pid {victim}) died (signal 9)" in product.output()
    rows.append((
        "kill -9 one gateway worker",
        "not back in 60 s" if took is None else f"new worker serving after {took:.2f} s; up's children "
        f"{'unchanged' if same else 'CHANGED'}; device acked on {sum(served)}/{len(served)} tries meanwhile; logged {logged}",
        took is not None and same and logged,
    ))  # fmt: skip
    return rows


# --- main -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=5000, help="idle connections in the flood")
    parser.add_argument(
        "--flood-sources", type=int, default=2, help="source addresses of the flood (127.0.0.2…)"
    )
    parser.add_argument("--per-source", type=int, default=1000, help="ANBANG_GATEWAY_MAX_CONNECTIONS_PER_IP")
    parser.add_argument("--identify-seconds", type=int, default=15, help="ANBANG_GATEWAY_IDENTIFY_SECONDS")
    parser.add_argument(
        "--trickle-seconds", type=float, default=3.0, help="one junk byte per flood connection every …"
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=25,
        help="schemathesis examples per operation (positive, negative and real ids mixed)",
    )
    parser.add_argument("--ids", type=int, default=0, help="ids per object kind in the IDOR probe (0: all)")
    parser.add_argument(
        "--all-pdfs", action="store_true", help="render every person PDF in reach, not 3 per user"
    )
    parser.add_argument("--threads", type=int, default=6, help="concurrent IDOR requests")
    parser.add_argument("--skip", default="", help=f"comma-separated checks to skip: {','.join(CHECKS)}")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and up.log (path printed)")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the flood's sockets; the product inherits it
    results: list[tuple[str, str, bool]] = []
    began = time.monotonic()
    with data_folder("anbang-probe-", args.keep, "data folder and up.log") as data:
        product = Product(data, args)
        os.environ.update(product.env)
        import django

        django.setup()
        print(f"manage.py up in {data} (web {product.port}, gateway {product.ports}); starting…", flush=True)
        product.start()
        print(f"  up serving after {time.monotonic() - began:.0f} s; building the probe's world", flush=True)
        try:
            world = build_world(product)
            for failure in world.setup_failures:
                print(f"  setup: {failure}")
            results.append(("setup: world built through the API and the gateway",
                            f"{len(world.devices)} trackers, {len(world.setup_failures)} setup calls refused",
                            not world.setup_failures))  # fmt: skip
            steps = [("idor", lambda: check_idor(product, world, args)),
                     ("frames", lambda: check_frames(product, world)),
                     ("flood", lambda: check_flood(product, world, args)),
                     ("boundary", lambda: check_boundary(product, world)),
                     ("schemathesis", lambda: check_schemathesis(product, world, args)),
                     ("kill", lambda: check_kill(product, world))]  # fmt: skip
            for name, step in steps:
                if name in skip:
                    continue
                print(f"== {name} ({time.monotonic() - began:.0f} s)", flush=True)
                t0 = time.monotonic()
                try:
                    rows = step()
                except Exception as exc:  # report the check as failed, go on with the others
                    import traceback

                    traceback.print_exc()
                    rows = [(name, f"probe error: {type(exc).__name__}: {exc}"[:200], False)]
                results += rows
                print(f"   {name} took {time.monotonic() - t0:.0f} s", flush=True)
        finally:
            code = product.stop()
            results.append(("up stopped on SIGTERM", f"exit {code}", code == 0))
        total = time.monotonic() - began
    width = max(len(r[0]) for r in results)
    print(f"\nprobe summary ({os.cpu_count()} cores, {total:.0f} s)")
    print(f"  {'check':<{width}}  {'result':<6}  figure")
    for check, figure, ok in results:
        print(f"  {check:<{width}}  {'pass' if ok else 'FAIL':<6}  {figure}")
    failed = [r for r in results if not r[2]]
    print(
        f"\n{len(results) - len(failed)} of {len(results)} checks pass"
        + (": the probe found nothing." if not failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
