"""Every route, in one table (NetBox's style): each API operation (from the OpenAPI document) and each page
(from Django's URL resolver) has a row, and a route added without one fails
``test_every_route_has_a_row_in_the_scoping_table``.

A route that reaches a person's data is exercised with the same people every time:

- the **owner** — an officer of the 司法所 that holds the record — gets its answer;
- a **colleague** in another 司法所 of the county and an **outsider** in another county get 404;
- the owner again, on the same route for a second person of their own office whose file is **sealed**
  (the owner holds no grant) gets 404 — or, for what an office sees by its own jurisdiction (alerts,
  devices, deliveries: the alert must be handled), its answer without any of that person's data.

Routes that carry no person's data say why, in the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from backend.api import api as ninja_api
from backend.core.models import Role, User
from backend.monitoring.actions.alerts import acknowledge_alert
from backend.monitoring.actions.layers import assign_people, create_layer
from backend.monitoring.actions.orders import propose_order, renew_order
from backend.monitoring.models import Position
from backend.people.actions.teams import add_member
from backend.people.models import AccessGrant, Person
from backend.supervision.actions.checkins import record_checkin
from backend.supervision.actions.sanctions import record_sanction
from backend.supervision.models import SanctionSuggestion
from tests.conftest import Trio, make_user
from tests.console import world as w
from tests.people import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SEALED_NAME = "测试封存"
SEALED_NOTE = "封存备注标记（测试）"
SEALED_LAT = 31.654321
OWNER_LAT = 30.123456


@dataclass
class Scoped:
    """A route that reaches a person's data: owner ``ok``, colleague and outsider 404, and on the sealed
    person's record ``sealed`` — 404, or the status of a row the office sees by its own jurisdiction,
    whose answer then holds none of the sealed person's data.  ``listed``: a list that must hold the
    owner's record for the owner, and neither record for anyone who may not open it."""

    method: str
    path: str
    body: dict | None = None
    ok: int = 200
    sealed: int = 404
    who: str = "officers"
    listed: str | None = None
    why_sealed: str = ""

    def __post_init__(self):
        if self.listed and self.sealed == 404:
            self.sealed = 200  # a list answers; it must not hold the sealed record


@dataclass
class NoPersonData:
    reason: str


@dataclass
class Rows:
    checks: list[Scoped] = field(default_factory=list)


def R(*checks: Scoped) -> Rows:
    return Rows(list(checks))


OFFICE_SEES = "the office sees it by its own jurisdiction (the alert must be handled): ids only"
LAYER_SEES = "a layer of places is its office's; only the people the reader may open are listed on it"
FROM_TO = "from={since}&to={until}"

API: dict[str, Scoped | Rows | NoPersonData] = {
    # --- core -------------------------------------------------------------------------------------------
    "GET /api/v1/health": NoPersonData("liveness: database vendor and version"),
    "GET /api/v1/auth/csrf": NoPersonData("a CSRF cookie"),
    "POST /api/v1/auth/login": NoPersonData("sign-in (tests/core/test_login.py)"),
    "POST /api/v1/auth/logout": NoPersonData("sign-out"),
    "GET /api/v1/auth/me": NoPersonData("the caller's own account"),
    "GET /api/v1/jurisdictions": NoPersonData("the tree of offices (tests/core/test_scoping.py)"),
    "POST /api/v1/jurisdictions": NoPersonData("offices, admins only (tests/core/test_scoping.py)"),
    "GET /api/v1/jurisdictions/{jurisdiction_id}": NoPersonData("an office (tests/core/test_scoping.py)"),
    "PATCH /api/v1/jurisdictions/{jurisdiction_id}": NoPersonData("an office (tests/core/test_scoping.py)"),
    "GET /api/v1/users": NoPersonData("staff accounts, scoped by subtree (tests/core/test_scoping.py)"),
    "POST /api/v1/users": NoPersonData("staff accounts (tests/core/test_scoping.py)"),
    "GET /api/v1/users/{user_id}": NoPersonData("staff accounts (tests/core/test_scoping.py)"),
    "PATCH /api/v1/users/{user_id}": NoPersonData("staff accounts (tests/core/test_scoping.py)"),
    "POST /api/v1/users/{user_id}/unlock": NoPersonData("staff accounts (tests/core/test_scoping.py)"),
    "GET /api/v1/users/{user_id}/tokens": NoPersonData("staff tokens (tests/core/test_scoping.py)"),
    "GET /api/v1/tokens": NoPersonData("the caller's own tokens"),
    "POST /api/v1/tokens": NoPersonData("the caller's own tokens"),
    "DELETE /api/v1/tokens/{token_id}": NoPersonData("staff tokens (tests/core/test_scoping.py)"),
    # --- people -----------------------------------------------------------------------------------------
    "GET /api/v1/persons": Scoped("GET", "/api/v1/persons", listed="person"),
    "POST /api/v1/persons": NoPersonData("registers a new file in the caller's office (nothing read)"),
    "POST /api/v1/persons/search": Scoped(
        "POST", "/api/v1/persons/search", {"id_number": "{id_number}"}, listed="person"
    ),
    "GET /api/v1/persons/{person_id}": Scoped("GET", "/api/v1/persons/{person}"),
    "PATCH /api/v1/persons/{person_id}": Scoped("PATCH", "/api/v1/persons/{person}", {"employer": "测试单位"}),
    "GET /api/v1/persons/{person_id}/grants": Scoped(
        "GET", "/api/v1/persons/{person}/grants", who="admins", sealed=200,
        why_sealed="granting: the county head or admin finds a restricted file by its place in the tree",
    ),
    "POST /api/v1/persons/{person_id}/grants": Scoped(
        "POST", "/api/v1/persons/{person}/grants", {"user_id": "@owner", "reason": "测试"}, ok=409, who="admins",
        sealed=201, why_sealed="granting: the county head or admin finds a restricted file by its place in the tree",
    ),
    "DELETE /api/v1/persons/{person_id}/grants/{grant_id}": Scoped(
        "DELETE", "/api/v1/persons/{person}/grants/{grant}", who="admins", sealed=200,
        why_sealed="granting: the county head or admin finds a restricted file by its place in the tree",
    ),
    "GET /api/v1/cases": Scoped("GET", "/api/v1/cases", listed="case"),
    "POST /api/v1/cases": Scoped(
        "POST", "/api/v1/cases",
        {"person_id": "@person", "kind": "mental_health", "mental_health": {"diagnosis": "bipolar", "risk_level": 0, "opened_on": "{today}"}},
        ok=409,
    ),
    "GET /api/v1/cases/{case_id}": Scoped("GET", "/api/v1/cases/{case}"),
    "PATCH /api/v1/cases/{case_id}": Scoped("PATCH", "/api/v1/cases/{case}", {"details": {"court": "测试法院"}}),
    "POST /api/v1/cases/{case_id}/transitions": Scoped(
        "POST", "/api/v1/cases/{case}/transitions", {"action": "report"}, ok=409
    ),
    "GET /api/v1/cases/{case_id}/transitions": Scoped("GET", "/api/v1/cases/{case}/transitions"),
    "POST /api/v1/cases/{case_id}/marks": Scoped(
        "POST", "/api/v1/cases/{mh}/marks",
        {"kind": "risk_level", "value": "2", "effective_on": "{today}", "reason": "测试评估"}, ok=201,
    ),
    "GET /api/v1/cases/{case_id}/marks": Scoped("GET", "/api/v1/cases/{mh}/marks"),
    "POST /api/v1/cases/{case_id}/placements": Scoped(
        "POST", "/api/v1/cases/{aftercare}/placements", {"kind": "job", "start_on": "{today}"}, ok=201
    ),
    "GET /api/v1/cases/{case_id}/placements": Scoped("GET", "/api/v1/cases/{aftercare}/placements"),
    "POST /api/v1/cases/{case_id}/emergencies": Scoped(
        "POST", "/api/v1/cases/{mh}/emergencies",
        {"occurred_at": "{yesterday}T10:00:00+08:00", "description": "测试"}, ok=201,
    ),
    "GET /api/v1/cases/{case_id}/emergencies": Scoped("GET", "/api/v1/cases/{mh}/emergencies", who="doctors"),
    "GET /api/v1/teams": Scoped("GET", "/api/v1/teams", listed="team"),
    "GET /api/v1/teams/{team_id}": Scoped("GET", "/api/v1/teams/{team}"),
    "POST /api/v1/teams/{team_id}/members": Scoped(
        "POST", "/api/v1/teams/{team}/members", {"gender": "female", "role": "family", "name": "测试家属"}, ok=201
    ),
    "DELETE /api/v1/teams/{team_id}/members/{member_id}": Scoped("DELETE", "/api/v1/teams/{team}/members/{member}"),
    "POST /api/v1/teams/{team_id}/activate": Scoped("POST", "/api/v1/teams/{team}/activate", ok=409),
    # --- monitoring -------------------------------------------------------------------------------------
    "GET /api/v1/devices": Scoped("GET", "/api/v1/devices", listed="tag", sealed=200, why_sealed=OFFICE_SEES),
    "POST /api/v1/devices": NoPersonData("provisions a tracker in an office (nothing of a person)"),
    "GET /api/v1/devices/{device_id}": Scoped("GET", "/api/v1/devices/{tag}", sealed=200, why_sealed=OFFICE_SEES),
    "PATCH /api/v1/devices/{device_id}": Scoped(
        "PATCH", "/api/v1/devices/{tag}", {"label": "改名"}, sealed=200, why_sealed=OFFICE_SEES
    ),
    "POST /api/v1/devices/{device_id}/assign": Scoped(
        "POST", "/api/v1/devices/{tag}/assign", {"person_id": "@person"}, ok=409, sealed=404,
        why_sealed="the person must be in reach",
    ),
    "POST /api/v1/devices/{device_id}/unassign": Scoped(
        "POST", "/api/v1/devices/{tag}/unassign", sealed=200, why_sealed=OFFICE_SEES
    ),
    "POST /api/v1/devices/{device_id}/reset-registration": Scoped(
        "POST", "/api/v1/devices/{tag}/reset-registration", sealed=200, why_sealed=OFFICE_SEES
    ),
    "GET /api/v1/devices/{device_id}/positions": Scoped(
        "GET", "/api/v1/devices/{tag}/positions?" + FROM_TO, sealed=200,
        why_sealed="the device is the office's; the sealed wearer's fixes are left out",
    ),
    "GET /api/v1/gateway/stats": NoPersonData("gateway counters"),
    "GET /api/v1/alerts": Scoped("GET", "/api/v1/alerts", listed="alert", sealed=200, why_sealed=OFFICE_SEES),
    "GET /api/v1/alerts/{alert_id}": Scoped("GET", "/api/v1/alerts/{alert}", sealed=200, why_sealed=OFFICE_SEES),
    "POST /api/v1/alerts/{alert_id}/acknowledge": Scoped(
        "POST", "/api/v1/alerts/{alert}/acknowledge", {"note": "收到"}, sealed=200, why_sealed=OFFICE_SEES
    ),
    "POST /api/v1/alerts/{alert_id}/assign": Scoped(
        "POST", "/api/v1/alerts/{alert}/assign", {"user_id": "@owner"}, sealed=422,
        why_sealed="handled by the office, but only someone who may open the file may be assigned",
    ),
    "GET /api/v1/alerts/{alert_id}/assignees": Scoped(
        "GET", "/api/v1/alerts/{alert}/assignees", sealed=200, why_sealed=OFFICE_SEES
    ),
    "POST /api/v1/alerts/{alert_id}/resolve": Scoped(
        "POST", "/api/v1/alerts/{alert}/resolve", {"resolution": "handled", "note": "已核实"}, sealed=200,
        why_sealed=OFFICE_SEES,
    ),
    "GET /api/v1/location-orders": Scoped("GET", "/api/v1/location-orders", listed="order"),
    "POST /api/v1/location-orders": Scoped(
        "POST", "/api/v1/location-orders",
        {"case_id": "@case", "ground": "2", "facts": "测试", "starts_on": "{today}", "ends_on": "{next_month}",
         "notice_signed_on": "{today}"},
        ok=409,  # the world's person has an order and a proposal already
    ),
    "GET /api/v1/location-orders/{order_id}": Scoped("GET", "/api/v1/location-orders/{order}"),
    "POST /api/v1/location-orders/{order_id}/renew": Scoped(
        "POST", "/api/v1/location-orders/{order}/renew", {"new_end": "{next_month}", "reassessment": "复查（测试）"},
        ok=422,  # the new end is before the world's order ends
    ),
    # approvals-orders: a county head decides a proposed order or renewal; the proposer withdraws it.
    "POST /api/v1/location-orders/{order_id}/approve": Scoped(
        "POST", "/api/v1/location-orders/{proposed_order}/approve", {}, who="heads"
    ),
    "POST /api/v1/location-orders/{order_id}/refuse": Scoped(
        "POST", "/api/v1/location-orders/{proposed_order}/refuse", {"reason": "不予批准（测试）"}, who="heads"
    ),
    "POST /api/v1/location-orders/{order_id}/withdraw": Scoped(
        "POST", "/api/v1/location-orders/{proposed_order}/withdraw"
    ),
    "POST /api/v1/location-orders/{order_id}/renewals/{renewal_id}/approve": Scoped(
        "POST", "/api/v1/location-orders/{order}/renewals/{renewal}/approve", {}, who="heads"
    ),
    "POST /api/v1/location-orders/{order_id}/renewals/{renewal_id}/refuse": Scoped(
        "POST", "/api/v1/location-orders/{order}/renewals/{renewal}/refuse", {"reason": "不予批准（测试）"}, who="heads"
    ),
    "POST /api/v1/location-orders/{order_id}/renewals/{renewal_id}/withdraw": Scoped(
        "POST", "/api/v1/location-orders/{order}/renewals/{renewal}/withdraw"
    ),
    "POST /api/v1/location-orders/{order_id}/end": Scoped(
        "POST", "/api/v1/location-orders/{order}/end", {"reason": "解除（测试）"}
    ),
    "GET /api/v1/zones": Scoped("GET", "/api/v1/zones", listed="zone"),
    "POST /api/v1/zones": Scoped(
        "POST", "/api/v1/zones",
        {"name": "测试区域", "kind": "exclusion", "person_id": "@person",
         "geometry": {"type": "circle", "lat": 30.2, "lon": 120.2, "radius_m": 100}},
        ok=201,
    ),
    "GET /api/v1/zones/{zone_id}": Scoped("GET", "/api/v1/zones/{zone}"),
    "PATCH /api/v1/zones/{zone_id}": Scoped("PATCH", "/api/v1/zones/{zone}", {"name": "改名"}),
    # shared zone layers: an office's places; who is on them is read through the person rule
    "GET /api/v1/zone-layers": Scoped(
        "GET", "/api/v1/zone-layers", listed="layer", sealed=200, why_sealed=LAYER_SEES
    ),
    "POST /api/v1/zone-layers": NoPersonData("creates a layer of places in an office (nothing of a person)"),
    "GET /api/v1/zone-layers/{layer_id}": Scoped(
        "GET", "/api/v1/zone-layers/{layer}", sealed=200, why_sealed=LAYER_SEES
    ),
    "PATCH /api/v1/zone-layers/{layer_id}": Scoped(
        "PATCH", "/api/v1/zone-layers/{layer}", {"name": "改名"}, sealed=200, why_sealed=LAYER_SEES
    ),
    "POST /api/v1/zone-layers/{layer_id}/persons": Scoped(
        "POST", "/api/v1/zone-layers/{layer}/persons", {"person_ids": ["@person"]}
    ),
    "GET /api/v1/persons/{person_id}/track": Scoped("GET", "/api/v1/persons/{person}/track?" + FROM_TO),
    # --- notifications ----------------------------------------------------------------------------------
    "GET /api/v1/inbox": NoPersonData("the caller's own messages, which carry no personal data (messages.py)"),
    "GET /api/v1/inbox/unread-count": NoPersonData("a count of the caller's own messages"),
    "POST /api/v1/inbox/{message_id}/read": NoPersonData("the caller's own message"),
    "POST /api/v1/inbox/read": NoPersonData("the caller's own messages"),
    "GET /api/v1/notifications/deliveries": Scoped(
        "GET", "/api/v1/notifications/deliveries?alert_id={alert}", listed="delivery", sealed=200,
        why_sealed="deliveries of an alert the office sees: channel, state and error codes, no personal data",
    ),
    "GET /api/v1/notifications/deliveries/{delivery_id}": Scoped(
        "GET", "/api/v1/notifications/deliveries/{delivery}", sealed=200,
        why_sealed="a delivery of an alert the office sees: no personal data",
    ),
    "POST /api/v1/notifications/sms/inbound": NoPersonData("the SMS gateway's authenticated reply call"),
    "GET /api/v1/notifications/contact-points": NoPersonData("staff contact points (own; admins' subtree)"),
    "PUT /api/v1/notifications/contact-points/{channel}": NoPersonData("staff contact points"),
    "DELETE /api/v1/notifications/contact-points/{channel}": NoPersonData("staff contact points"),
    "GET /api/v1/notifications/routing-rules": NoPersonData("routing rules of offices"),
    "POST /api/v1/notifications/routing-rules": NoPersonData("routing rules of offices"),
    "PUT /api/v1/notifications/routing-rules/{rule_id}": NoPersonData("routing rules (test_ack_links_and_api.py)"),
    "DELETE /api/v1/notifications/routing-rules/{rule_id}": NoPersonData("routing rules (test_ack_links_and_api.py)"),
    # --- supervision ------------------------------------------------------------------------------------
    "GET /api/v1/checkins": Scoped("GET", "/api/v1/checkins?case_id={case}"),
    "POST /api/v1/checkins": Scoped(
        "POST", "/api/v1/checkins", {"case_id": "@case", "kind": "written", "at": "{yesterday}T10:00:00+08:00"},
        ok=201,
    ),
    "POST /api/v1/checkins/app": NoPersonData("the person's own phone, authenticated as its device"),
    "GET /api/v1/checkins/plans": Scoped("GET", "/api/v1/checkins/plans?case_id={case}"),
    "PUT /api/v1/checkins/plans/{case_id}/{kind}": Scoped(
        "PUT", "/api/v1/checkins/plans/{case}/written", {"active": False}
    ),
    "GET /api/v1/checkins/compliance": Scoped("GET", "/api/v1/checkins/compliance?case_id={case}&month={month}"),
    "GET /api/v1/checkins/{checkin_id}": Scoped("GET", "/api/v1/checkins/{checkin}"),
    "GET /api/v1/leave-requests": Scoped("GET", "/api/v1/leave-requests", listed="leave"),
    "POST /api/v1/leave-requests": Scoped(
        "POST", "/api/v1/leave-requests",
        {"case_id": "@case", "starts_on": "{in_10_days}", "ends_on": "{in_12_days}", "destination": "测试地", "reason": "测试"},
        ok=201,
    ),
    "GET /api/v1/leave-requests/{leave_id}": Scoped("GET", "/api/v1/leave-requests/{leave}"),
    "POST /api/v1/leave-requests/{leave_id}/approve": Scoped("POST", "/api/v1/leave-requests/{leave}/approve", {}),
    "POST /api/v1/leave-requests/{leave_id}/reject": Scoped(
        "POST", "/api/v1/leave-requests/{leave}/reject", {"note": "否"}
    ),
    "POST /api/v1/leave-requests/{leave_id}/cancel": Scoped("POST", "/api/v1/leave-requests/{leave}/cancel"),
    "POST /api/v1/leave-requests/{leave_id}/return": Scoped(
        "POST", "/api/v1/leave-requests/{leave}/return", {}, ok=409
    ),
    "GET /api/v1/sanctions": Scoped("GET", "/api/v1/sanctions", listed="sanction"),
    "POST /api/v1/sanctions": Scoped(
        "POST", "/api/v1/sanctions", {"case_id": "@case", "kind": "praise", "reason": "测试"}, ok=201
    ),
    "POST /api/v1/sanctions/{sanction_id}/remedy": Scoped("POST", "/api/v1/sanctions/{sanction}/remedy"),
    "GET /api/v1/sanctions/{sanction_id}": Scoped("GET", "/api/v1/sanctions/{sanction}"),
    # A 司法所's warning is a proposal the case's county decides (the heads trio: head_a is the county's).
    "POST /api/v1/sanctions/{sanction_id}/approve": Scoped(
        "POST", "/api/v1/sanctions/{sanction_proposal}/approve", {}, who="heads"
    ),
    "POST /api/v1/sanctions/{sanction_id}/refuse": Scoped(
        "POST", "/api/v1/sanctions/{sanction_proposal}/refuse", {"note": "测试"}, who="heads"
    ),
    "GET /api/v1/sanctions/suggestions": Scoped("GET", "/api/v1/sanctions/suggestions", listed="suggestion"),
    "POST /api/v1/sanctions/suggestions/{suggestion_id}/accept": Scoped(
        "POST", "/api/v1/sanctions/suggestions/{suggestion}/accept", {"reason": "测试"}
    ),
    "POST /api/v1/sanctions/suggestions/{suggestion_id}/dismiss": Scoped(
        "POST", "/api/v1/sanctions/suggestions/{suggestion}/dismiss", {"note": "测试"}
    ),
    "GET /api/v1/followups": Scoped("GET", "/api/v1/followups?case_id={aftercare}"),
    "POST /api/v1/followups": Scoped(
        "POST", "/api/v1/followups",
        {"case_id": "@aftercare", "kind": "aftercare_contact", "at": "{just_now}", "note": "电话联系"},
        ok=201,
    ),
    "GET /api/v1/followups/compliance": Scoped("GET", "/api/v1/followups/compliance?case_id={mh}&year={year}"),
    "GET /api/v1/due-items": Scoped("GET", "/api/v1/due-items?case_id={case}"),
    # --- reports ----------------------------------------------------------------------------------------
    "GET /api/v1/reports/person/{person_id}.pdf": Scoped("GET", "/api/v1/reports/person/{person}.pdf"),
    "GET /api/v1/reports/monthly.pdf": NoPersonData(
        "counts per office, no names (tests/reports/test_reports_scoping.py)"
    ),
    "GET /api/v1/reports/alerts.pdf": Scoped(
        "GET", "/api/v1/reports/alerts.pdf?jurisdiction={office_code}&from={today}&to={today}", sealed=200,
        why_sealed="the office's alert log: a sealed file's row reads 受限档案, without its resolution note",
    ),
    "GET /api/v1/reports/alerts.csv": Scoped(
        "GET", "/api/v1/reports/alerts.csv?jurisdiction={office_code}&from={today}&to={today}", sealed=200,
        why_sealed="the office's alert log: a sealed file's row reads 受限档案, without its resolution note",
    ),
}  # fmt: skip

PAGES: dict[str, Scoped | Rows | NoPersonData] = {
    "/": Scoped("GET", "/", listed="name", sealed=200, why_sealed=OFFICE_SEES),
    "/ack/": NoPersonData("the signed one-time acknowledge link of the delivery's own recipient"),
    "/login/": NoPersonData("sign-in page"),
    "/logout/": NoPersonData("sign-out"),
    "/console/": Scoped("GET", "/console/", listed="name", sealed=200, why_sealed=OFFICE_SEES),
    "/console/alerts/": Scoped("GET", "/console/alerts/", listed="name", sealed=200, why_sealed=OFFICE_SEES),
    "/console/alerts/<int:alert_id>/": Scoped(
        "GET", "/console/alerts/{alert}/", sealed=200, why_sealed=OFFICE_SEES
    ),
    "/console/alerts/<int:alert_id>/acknowledge": Scoped(
        "POST", "/console/alerts/{alert}/acknowledge", {}, ok=302, sealed=302, why_sealed=OFFICE_SEES
    ),
    "/console/alerts/<int:alert_id>/assign": Scoped(
        "POST", "/console/alerts/{alert}/assign", {"user_id": "@owner"}, ok=302, sealed=302,
        why_sealed="handled by the office; the assignment itself is refused (a message on the page)",
    ),
    "/console/alerts/<int:alert_id>/resolve": Scoped(
        "POST", "/console/alerts/{alert}/resolve", {"resolution": "handled", "note": "已核实"}, ok=302, sealed=302,
        why_sealed=OFFICE_SEES,
    ),
    "/console/people/": R(
        Scoped("GET", "/console/people/", listed="name"),
        Scoped("POST", "/console/people/", {"id_number": "{id_number}"}, listed="name"),
    ),
    "/console/people/<int:person_id>/": Scoped("GET", "/console/people/{person}/?" + "from={today}&to={today}"),
    # --- people files: registration, particulars, the live ID check, access grants ---
    "/console/inbox/": NoPersonData("the reader's own messages, which carry no personal data (messages.py)"),
    "/console/inbox/read": NoPersonData("the reader's own messages (recipient=request.user)"),
    "/console/people/new": NoPersonData(
        "registers a new file in an office of the user's reach; a duplicate's link only for whom may open "
        "that file (tests/console/test_person_forms.py)"
    ),
    "/console/people/check-id": Scoped("POST", "/console/people/check-id", {"id_number": "{id_number}"}, listed="person"),
    "/console/people/<int:person_id>/edit": R(
        Scoped("GET", "/console/people/{person}/edit"),
        Scoped("POST", "/console/people/{person}/edit", {"name": "{name}", "id_number": "{id_number}"}, ok=302),
    ),
    "/console/people/grants": NoPersonData("redirects a file number to its grants page (nothing read)"),
    "/console/people/<int:person_id>/grants": R(
        Scoped("GET", "/console/people/{person}/grants", who="admins", sealed=200,
               why_sealed="granting: the county head or admin finds a restricted file by its place in the tree"),
        Scoped("POST", "/console/people/{person}/grants", {"user_id": "@owner", "reason": "测试", "days": "7"},
               ok=422, who="admins", sealed=302,
               why_sealed="granting: the county head or admin finds a restricted file by its place in the tree"),
    ),
    "/console/people/<int:person_id>/grants/<int:grant_id>/revoke": Scoped(
        "POST", "/console/people/{person}/grants/{grant}/revoke", {}, ok=302, who="admins", sealed=302,
        why_sealed="granting: the county head or admin finds a restricted file by its place in the tree",
    ),
    # --- cases and teams (the "cases" pages) ---
    "/console/people/<int:person_id>/cases/new": R(
        Scoped("GET", "/console/people/{person}/cases/new?kind=correction"),
        Scoped("POST", "/console/people/{person}/cases/new?kind=mental_health",
               {"diagnosis": "bipolar", "risk_level": "0", "opened_on": "{today}"}, ok=422),
    ),
    "/console/cases/<int:case_id>/edit": R(
        Scoped("GET", "/console/cases/{case}/edit"),
        Scoped("POST", "/console/cases/{case}/edit", {"details.court": "测试法院"}, ok=302),
    ),
    "/console/cases/<int:case_id>/transitions": R(
        Scoped("GET", "/console/cases/{case}/transitions?action=start_leave"),
        Scoped("POST", "/console/cases/{case}/transitions", {"action": "report"}, ok=422),
    ),
    "/console/cases/<int:case_id>/marks": R(
        Scoped("GET", "/console/cases/{mh}/marks"),
        Scoped("POST", "/console/cases/{mh}/marks",
               {"kind": "risk_level", "value": "2", "effective_on": "{today}", "reason": "测试评估"}, ok=302),
    ),
    "/console/cases/<int:case_id>/placements": R(
        Scoped("GET", "/console/cases/{aftercare}/placements"),
        Scoped("POST", "/console/cases/{aftercare}/placements", {"kind": "job", "start_on": "{today}"}, ok=302),
    ),
    "/console/cases/<int:case_id>/emergencies": R(
        Scoped("GET", "/console/cases/{mh}/emergencies"),
        Scoped("POST", "/console/cases/{mh}/emergencies",
               {"occurred_at": "{yesterday}T10:00", "description": "测试"}, ok=302),
    ),
    "/console/cases/<int:case_id>/team": R(
        Scoped("GET", "/console/cases/{case}/team"),
        Scoped("POST", "/console/cases/{case}/team", {"gender": "female", "role": "family", "name": "测试家属"}, ok=302),
    ),
    "/console/cases/<int:case_id>/team/activate": Scoped("POST", "/console/cases/{case}/team/activate", {}, ok=302),
    "/console/cases/<int:case_id>/team/members/<int:member_id>/remove": Scoped(
        "POST", "/console/cases/{case}/team/members/{member}/remove", {}, ok=302
    ),
    "/console/approvals/": Scoped("GET", "/console/approvals/", listed="name"),
    "/console/approvals/leave/<int:leave_id>/": Scoped("GET", "/console/approvals/leave/{leave}/"),
    "/console/approvals/sanctions/<int:sanction_id>/": Scoped(
        "GET", "/console/approvals/sanctions/{sanction_proposal}/", who="heads"
    ),
    "/console/approvals/sanctions/<int:sanction_id>/approve": Scoped(
        "POST", "/console/approvals/sanctions/{sanction_proposal}/approve", {}, ok=302, who="heads"
    ),
    "/console/approvals/sanctions/<int:sanction_id>/refuse": Scoped(
        "POST", "/console/approvals/sanctions/{sanction_proposal}/refuse", {"note": "测试"}, ok=302, who="heads"
    ),
    "/console/approvals/leave/<int:leave_id>/approve": Scoped(
        "POST", "/console/approvals/leave/{leave}/approve", {}, ok=302
    ),
    "/console/approvals/leave/<int:leave_id>/reject": Scoped(
        "POST", "/console/approvals/leave/{leave}/reject", {"note": "理由（测试）"}, ok=302
    ),
    "/console/approvals/proposals/<int:suggestion_id>/grant": Scoped(
        "POST", "/console/approvals/proposals/{proposal}/grant", {}, ok=302, who="heads"
    ),
    "/console/approvals/proposals/<int:suggestion_id>/decline": Scoped(
        "POST", "/console/approvals/proposals/{proposal}/decline", {"note": "测试"}, ok=302, who="heads"
    ),
    "/console/approvals/orders/<int:order_id>/renew": Scoped(
        "POST", "/console/approvals/orders/{order}/renew", {"new_end": "{next_month}", "reassessment": "复查"}, ok=302
    ),
    # approvals-orders (views/orders.py): proposing from the person page, deciding in the head's queue.
    "/console/people/<int:person_id>/orders/new": Scoped("GET", "/console/people/{person}/orders/new"),
    "/console/orders/<int:order_id>/withdraw": Scoped("POST", "/console/orders/{proposed_order}/withdraw", {}, ok=302),
    "/console/orders/<int:order_id>/renewals/new": Scoped("GET", "/console/orders/{order}/renewals/new"),
    "/console/orders/<int:order_id>/renewals/<int:renewal_id>/withdraw": Scoped(
        "POST", "/console/orders/{order}/renewals/{renewal}/withdraw", {}, ok=302
    ),
    "/console/approvals/location-orders/<int:order_id>/approve": Scoped(
        "POST", "/console/approvals/location-orders/{proposed_order}/approve", {}, ok=302, who="heads"
    ),
    "/console/approvals/location-orders/<int:order_id>/refuse": Scoped(
        "POST", "/console/approvals/location-orders/{proposed_order}/refuse", {"reason": "测试"}, ok=302, who="heads"
    ),
    "/console/approvals/location-orders/<int:order_id>/renewals/<int:renewal_id>/approve": Scoped(
        "POST", "/console/approvals/location-orders/{order}/renewals/{renewal}/approve", {}, ok=302, who="heads"
    ),
    "/console/approvals/location-orders/<int:order_id>/renewals/<int:renewal_id>/refuse": Scoped(
        "POST", "/console/approvals/location-orders/{order}/renewals/{renewal}/refuse", {"reason": "测试"}, ok=302,
        who="heads",
    ),
    "/console/approvals/orders/<int:order_id>/end": Scoped(
        "POST", "/console/approvals/orders/{order}/end", {"reason": "解除（测试）"}, ok=302
    ),
    "/console/devices/": Scoped("GET", "/console/devices/", listed="tag_identifier", sealed=200, why_sealed=OFFICE_SEES),
    "/console/devices/<int:device_id>/": Scoped(
        "GET", "/console/devices/{tag}/", sealed=200, why_sealed=OFFICE_SEES
    ),
    "/console/devices/<int:device_id>/reset-registration": Scoped(
        "POST", "/console/devices/{tag}/reset-registration", {}, ok=302, sealed=302, why_sealed=OFFICE_SEES
    ),
    "/console/devices/new": Scoped("GET", "/console/devices/new?person={person}"),
    "/console/devices/<int:device_id>/issued": Scoped(
        "GET", "/console/devices/{tag}/issued", ok=302, sealed=302,
        why_sealed="the office's device: nothing pending in this session, so back to the device page",
    ),
    "/console/devices/<int:device_id>/edit": Scoped(
        "GET", "/console/devices/{tag}/edit", sealed=200, why_sealed=OFFICE_SEES
    ),
    "/console/devices/<int:device_id>/assign": Scoped(
        "POST", "/console/devices/{tag}/assign", {"person_id": "@person"}, ok=302, sealed=302,
        why_sealed="the office's device; binding it to the sealed person is refused (a message on the page)",
    ),
    "/console/devices/<int:device_id>/unassign": Scoped(
        "POST", "/console/devices/{tag}/unassign", {}, ok=302, sealed=302, why_sealed=OFFICE_SEES
    ),
    "/console/zone-layers/": Scoped(
        "GET", "/console/zone-layers/", listed="layer_name", sealed=200, why_sealed=LAYER_SEES
    ),
    "/console/zone-layers/<int:layer_id>/": Scoped(
        "GET", "/console/zone-layers/{layer}/", sealed=200, why_sealed=LAYER_SEES
    ),
    "/console/zone-layers/<int:layer_id>/persons": Scoped(
        "POST", "/console/zone-layers/{layer}/persons", {"action": "add", "person_ids[]": "@person"}, ok=302,
        sealed=422, why_sealed="the office's layer; the sealed person in the list refuses it whole (not found)",
    ),
    # --- supervision (views/supervision/*): the forms of a case, a leave request, a sanction, a suggestion ---
    "/console/cases/<int:case_id>/checkins/new": R(
        Scoped("GET", "/console/cases/{case}/checkins/new"),
        Scoped("POST", "/console/cases/{case}/checkins/new", {"kind": "written", "at": "{yesterday}T10:00"}, ok=302),
    ),
    "/console/cases/<int:case_id>/checkin-plans/": R(
        Scoped("GET", "/console/cases/{case}/checkin-plans/"),
        Scoped(
            "POST", "/console/cases/{case}/checkin-plans/",
            {"kind": "written", "required": "2", "period": "month", "active": "on"}, ok=302,
        ),
    ),
    "/console/cases/<int:case_id>/followups/new": R(
        Scoped("GET", "/console/cases/{aftercare}/followups/new"),
        Scoped(
            "POST", "/console/cases/{aftercare}/followups/new", {"kind": "aftercare_contact", "at": "{just_now}"},
            ok=302,
        ),
    ),
    "/console/cases/<int:case_id>/leave/new": R(
        Scoped("GET", "/console/cases/{case}/leave/new"),
        Scoped(
            "POST", "/console/cases/{case}/leave/new",
            {"starts_on": "{in_10_days}", "ends_on": "{in_12_days}", "destination": "测试地", "reason": "测试"}, ok=302,
        ),
    ),
    "/console/leave/<int:leave_id>/cancel": Scoped("POST", "/console/leave/{leave}/cancel", {}, ok=302),
    "/console/leave/<int:leave_id>/return": R(
        Scoped("GET", "/console/leave/{leave}/return"),
        Scoped("POST", "/console/leave/{leave}/return", {}, ok=422),  # pending: nothing to return from
    ),
    "/console/cases/<int:case_id>/sanctions/new": R(
        Scoped("GET", "/console/cases/{case}/sanctions/new"),
        Scoped("POST", "/console/cases/{case}/sanctions/new", {"kind": "praise", "reason": "测试"}, ok=302),
    ),
    "/console/sanctions/<int:sanction_id>/remedy": Scoped("POST", "/console/sanctions/{sanction}/remedy", {}, ok=302),
    "/console/suggestions/<int:suggestion_id>/": R(
        Scoped("GET", "/console/suggestions/{suggestion}/"),
        Scoped("POST", "/console/suggestions/{suggestion}/", {"_decision": "dismiss", "note": "测试"}, ok=302),
    ),
    "/console/reports/": NoPersonData("the download form: offices and months"),
    "/console/import/": NoPersonData("the upload form and the uploader's own recent jobs (file names, counts)"),
    "/console/import/template.xlsx": NoPersonData("the empty template"),
    "/console/import/template.csv": NoPersonData("the empty template"),
    "/console/import/upload": NoPersonData("the importer's own upload: row numbers, column headers and messages, only to its uploader (another user's job is 404: tests/console/test_import_page.py)"),
    "/console/import/<int:job_id>/": NoPersonData("the importer's own upload: row numbers, column headers and messages, only to its uploader (another user's job is 404: tests/console/test_import_page.py)"),
    "/console/import/<int:job_id>/run": NoPersonData("the importer's own upload: row numbers, column headers and messages, only to its uploader (another user's job is 404: tests/console/test_import_page.py)"),
    "/console/import/<int:job_id>/progress": NoPersonData("counts of the uploader's own import"),
    # --- zones-draw (views/zones.py) ---
    "/console/people/<int:person_id>/zones/new": R(
        Scoped("GET", "/console/people/{person}/zones/new"),
        Scoped(
            "POST", "/console/people/{person}/zones/new",
            {"name": "测试区域", "kind": "exclusion",
             "geometry": '{{"type": "circle", "lat": 30.2, "lon": 120.2, "radius_m": 100}}'},
            ok=302,
        ),
    ),
    "/console/zone-layers/<int:layer_id>/zones/new": NoPersonData(
        "a shared layer's zone: no person's data; by the layer's jurisdiction (tests/console/test_zone_editor.py)"
    ),
    "/console/zones/<int:zone_id>/edit": R(
        Scoped("GET", "/console/zones/{zone}/edit"),
        Scoped("POST", "/console/zones/{zone}/edit", {"name": "改名"}, ok=302),
    ),
    "/console/zones/<int:zone_id>/deactivate": Scoped("POST", "/console/zones/{zone}/deactivate", {}, ok=302),
}  # fmt: skip


# --- the routes that exist ------------------------------------------------------------------------------


def api_operations() -> set[str]:
    paths = ninja_api.get_openapi_schema()["paths"]
    return {f"{method.upper()} {path}" for path, ops in paths.items() for method in ops}


def page_routes() -> set[str]:
    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield "/" + route

    return {
        route for route in walk(get_resolver().url_patterns, "") if not route.lstrip("/^").startswith("api/")
    }


def test_every_route_has_a_row_in_the_scoping_table():
    """A new API operation or page needs a row here: how it is scoped, or why it carries no person's data."""
    assert api_operations() - set(API) == set(), (
        "API operations without a row in tests/core/test_route_coverage.py"
    )
    assert page_routes() - set(PAGES) == set(), "pages without a row in tests/core/test_route_coverage.py"
    assert set(API) - api_operations() == set() and set(PAGES) - page_routes() == set(), (
        "rows of removed routes"
    )


# --- the world the rows run in --------------------------------------------------------------------------


def build(tree, officers: Trio, *, name: str, terminal: str, lat: float) -> dict:
    owner = officers.owner
    world = w.build(tree, officers, name=name, terminal=terminal)
    person, case = world.person, world.case
    alert = w.open_alert(world)
    acknowledge_alert(alert=alert, by=owner, note=f"{name}备注")
    now = timezone.now().replace(microsecond=0)
    Position.objects.create(
        device=world.tag, person=person, fix_time=now - dt.timedelta(minutes=5), received_at=now,
        point=[lat, 120.5], valid=True, source="gnss",
    )  # fmt: skip
    aftercare = factories.aftercare(owner, person)
    mh = factories.mental_health(owner, person, risk_level=1)
    member = add_member(by=owner, team=case.team, role="volunteer", gender="male", name="测试志愿者")
    checkin = record_checkin(by=owner, case=case, kind="in_person", at=now - dt.timedelta(hours=1))
    sanction = record_sanction(by=owner, case=case, kind="admonition", reason="测试")
    sanction_proposal = record_sanction(by=owner, case=case, kind="warning", reason="测试")  # for the county
    suggestion = SanctionSuggestion.objects.create(case=case, kind="praise", rule="test", details={})
    proposal = SanctionSuggestion.objects.create(case=case, kind="location_order", rule="test", details={})
    # A grant row to revoke (made directly: the API gives grants for restricted files only).
    grantee = make_user(f"grantee_{terminal}", tree.township_a1)  # nobody the rows run as
    grant = AccessGrant.objects.create(
        person=person,
        user=grantee,
        reason="测试",
        granted_by=world.head,
        expires_at=now + dt.timedelta(days=3),
    )
    layer = create_layer(by=owner, jurisdiction=tree.township_a1, name=f"禁入图层{terminal}")
    assign_people(by=owner, layer=layer, people=[person])
    # A proposal waiting for the head (after the world's order ends) and a renewal of the world's order.
    proposed = propose_order(by=owner, case=case, ground="2", facts="测试提请", notice_signed_on=TODAY,
                             starts_on=world.order.ends_on + dt.timedelta(days=1),
                             ends_on=world.order.ends_on + dt.timedelta(days=30))  # fmt: skip
    renewal = renew_order(by=owner, order=world.order, new_end=world.order.ends_on + dt.timedelta(days=20),
                          reassessment="复查（测试）")  # fmt: skip
    delivery = alert.deliveries.first()
    assert delivery is not None, "the alert's built-in route plans a delivery"
    return {
        "person": person.pk, "case": case.pk, "aftercare": aftercare.pk, "mh": mh.pk, "team": case.team.pk,
        "member": member.pk, "tag": world.tag.pk, "tag_identifier": world.tag.identifier, "order": world.order.pk,
        "zone": world.zone.pk, "leave": world.leave.pk, "alert": alert.pk, "checkin": checkin.pk,
        "sanction": sanction.pk, "sanction_proposal": sanction_proposal.pk, "suggestion": suggestion.pk, "proposal": proposal.pk, "delivery": delivery.pk,
        "grant": grant.pk, "layer": layer.pk, "proposed_order": proposed.pk, "renewal": renewal.pk, "layer_name": layer.name,
        "id_number": person.id_number, "name": name, "owner": owner.pk, "head": world.head.pk,
        "office_code": tree.township_a1.code, "today": TODAY.isoformat(),
        "yesterday": (TODAY - dt.timedelta(days=1)).isoformat(),
        "just_now": timezone.localtime(now - dt.timedelta(minutes=1)).isoformat(),
        "in_10_days": (TODAY + dt.timedelta(days=10)).isoformat(),
        "in_12_days": (TODAY + dt.timedelta(days=12)).isoformat(),
        "next_month": (TODAY + dt.timedelta(days=40)).isoformat(), "month": f"{TODAY:%Y-%m}", "year": TODAY.year,
        "since": (now - dt.timedelta(days=1)).isoformat().replace("+", "%2B"),
        "until": (now + dt.timedelta(hours=1)).isoformat().replace("+", "%2B"),
    }  # fmt: skip


@pytest.fixture
def worlds(tree, officers) -> tuple[dict, dict]:
    """The owner's record, and a second person of the same office whose file is sealed (no grant)."""
    mine = build(tree, officers, name="测试张三", terminal=w.TERMINAL_PHONE, lat=OWNER_LAT)
    sealed = build(tree, officers, name=SEALED_NAME, terminal="013800138002", lat=SEALED_LAT)
    Person.objects.filter(pk=sealed["person"]).update(is_sealed=True)
    sealed["markers"] = [SEALED_NAME, sealed["id_number"], f"{SEALED_NAME}备注", str(SEALED_LAT)]
    return mine, sealed


def trio_for(kind: str, tree, officers: Trio, head_id: int) -> Trio:
    if kind == "admins":
        return Trio(
            make_user("admin_a1", tree.township_a1, Role.ADMIN),
            make_user("admin_a2", tree.township_a2, Role.ADMIN),
            make_user("admin_b1", tree.township_b1, Role.ADMIN),
        )
    if kind == "doctors":  # health records: health workers only
        return Trio(
            make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER),
            make_user("doctor_a2", tree.township_a2, Role.HEALTH_WORKER),
            make_user("doctor_b1", tree.township_b1, Role.HEALTH_WORKER),
        )
    if kind == "heads":  # electronic-location proposals: the county head
        return Trio(
            User.objects.get(pk=head_id),
            make_user("head_a2", tree.township_a2, Role.COUNTY_HEAD),
            make_user("head_b", tree.county_b, Role.COUNTY_HEAD),
        )
    return officers


def fill(value, ids: dict):
    if isinstance(value, str):
        return ids[value[1:]] if value.startswith("@") else value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


class Reader:
    """One user's requests, to the API (bearer token) or the console (session)."""

    def __init__(self, user, api):
        self.api, self.console = api(user), Client()
        self.console.force_login(user)

    def send(self, check: Scoped, ids: dict):
        path, body = fill(check.path, ids), fill(check.body, ids)
        if path.startswith("/api/"):
            return self.api.request(check.method, path, body)
        if check.method == "GET":
            return self.console.get(path)
        return self.console.post(path, body or {})


def shows(response, check: Scoped, ids: dict) -> bool:
    """Whether a list holds the record ``check.listed`` names."""
    wanted = ids[check.listed]
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        items = body.get("items", body.get("features", [])) if isinstance(body, dict) else body
        return wanted in {item.get("id") for item in items}
    return str(wanted) in response.content.decode()


def rows(table: dict) -> list[tuple[str, int, Scoped]]:
    found = []
    for route, row in table.items():
        checks = [row] if isinstance(row, Scoped) else row.checks if isinstance(row, Rows) else []
        found += [(route, i, check) for i, check in enumerate(checks)]
    return found


SCOPED = rows(API) + rows(PAGES)


@pytest.mark.parametrize(("route", "index", "check"), SCOPED, ids=[f"{r}#{i}" for r, i, _ in SCOPED])
def test_every_route_to_a_persons_data_is_scoped_by_the_person_rule(
    route, index, check, tree, officers, worlds, api
):
    mine, sealed = worlds
    trio = trio_for(check.who, tree, officers, mine["head"])
    readers = {name: Reader(getattr(trio, name), api) for name in ("owner", "colleague", "outsider")}

    # The sealed file first: nothing of it may be seen or changed through this route.
    response = readers["owner"].send(check, sealed)
    assert response.status_code == check.sealed, (
        route,
        "sealed",
        response.status_code,
        response.content[:300],
    )
    if response.status_code != 404:
        text = response.content.decode(errors="replace")
        leaked = [m for m in sealed["markers"] if m in text]
        assert leaked == [], (route, "sealed file's data shown", leaked)
        if not check.listed or shows(response, check, sealed):
            assert check.why_sealed, f"{route}: say why the office sees this row of a sealed file"

    statuses = {}
    for name in ("outsider", "colleague", "owner"):  # owner last: its call may change state
        response = readers[name].send(check, mine)
        statuses[name] = response.status_code
        if check.listed and response.status_code == 200:
            assert shows(response, check, mine) == (name == "owner"), (route, name, "listed")
        elif response.status_code == 404 and route.startswith("/api/"):
            assert response.json()["code"] == "not_found"
    expected_other = 200 if check.listed else 404
    assert statuses == {"owner": check.ok, "colleague": expected_other, "outsider": expected_other}, route
