"""人员: the list with filters and exact search, and one person's page (cases, team, check-ins, leave,
sanctions, follow-ups, devices, location orders, alerts and the track for a date range).

Visibility is the API's: the same read side (``backend/people/queries.py``, ``backend/supervision/queries.py``:
``visible_to`` querysets, filters, blind-index search and the presenters ``person_view``, ``case_view``,
``followup_view``); every page that shows decrypted data is audited with the API's action names.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import DomainError
from backend.core.models import Jurisdiction
from backend.monitoring.models import Alert, Device, LocationOrder
from backend.people.colour import LABELS
from backend.people.models import Case, CaseKind, CaseStatus, Category
from backend.people.models.case import load_details
from backend.people.permissions import sees_criminal_details
from backend.people.queries import (
    UNLISTED_FIELDS,
    PersonFilters,
    case_view,
    filter_persons,
    list_items,
    person_in_reach,
    person_view,
    visible_persons,
)
from backend.supervision.models import Checkin, FollowUp, LeaveRequest, Sanction
from backend.supervision.queries import followup_view

from .. import maps
from ..conf import map_config
from ..exports import export_limit, wants_xlsx
from . import list_exports
from .common import day_range, int_or_none, parse_date, staff_page

LIST_LIMIT = 100
FILTER_KEYS = ("jurisdiction_id", "case_kind", "status", "category", "colour")
SEARCH_KEYS = ("id_number", "phone", "name")
TRACK_MAX_DAYS = 93  # as the track API


@staff_page
def person_list(request: HttpRequest) -> HttpResponse:
    """Filters come by GET; exact search by POST, so ID numbers and phones stay out of URLs and logs."""
    source = request.POST if request.method == "POST" else request.GET
    values = {key: (source.get(key) or "").strip() or None for key in (*FILTER_KEYS, *SEARCH_KEYS)}
    if request.method != "POST":
        values.update(dict.fromkeys(SEARCH_KEYS))
    values["jurisdiction_id"] = int_or_none(values["jurisdiction_id"])
    used = sorted(k for k, v in values.items() if v is not None)
    error, people = "", []
    try:
        user = request.user
        queryset = filter_persons(user, visible_persons(user), PersonFilters(**values))
        limit = export_limit() if wants_xlsx(request) else LIST_LIMIT
        people = list(queryset.order_by("-id").defer(*UNLISTED_FIELDS)[:limit])
    except DomainError as exc:
        error = exc.message
    if wants_xlsx(request) and not error:  # the same rows as a file, audited as an export
        return list_exports.people(request, list_items(people), used)
    searching = any(k in used for k in SEARCH_KEYS)
    record_audit(
        actor=request.user, action=AuditAction.PERSON_SEARCH if searching else AuditAction.PERSON_LIST,
        details={"ids": [p.pk for p in people], "filters": used, "page": "console"},
    )  # fmt: skip
    return render(request, "console/people.html", {
        "people": list_items(people), "values": values, "error": error,
        "searching": searching, "limit": LIST_LIMIT, "colour_labels": LABELS,
        "jurisdictions": Jurisdiction.objects.visible_to(request.user).order_by("path")[:300],
        "kinds": CaseKind.choices, "statuses": CaseStatus.choices, "categories": Category.choices,
        "nav": "people",
    })  # fmt: skip


def _track_period(request: HttpRequest) -> tuple[dt.date, dt.date, str]:
    today = timezone.localdate()
    end = parse_date(request.GET.get("to"), today)
    start = parse_date(request.GET.get("from"), end)
    note = ""
    if start > end:
        start, end = end, start
    if (end - start).days + 1 > TRACK_MAX_DAYS:
        start, note = end - dt.timedelta(days=TRACK_MAX_DAYS - 1), f"一次最多查询 {TRACK_MAX_DAYS} 天的轨迹"
    return start, end, note


@staff_page
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_in_reach(request.user, person_id, cases=Case.objects.select_related("team"))
    user = request.user  # (out of reach → 404)
    view = person_view(person, user)
    cases = load_details(list(person.cases.all()))
    case_views = [case_view(c, user) for c in cases]
    case_ids = [c.pk for c in cases]
    teams = []
    for case in cases:
        team = getattr(case, "team", None)
        if team is not None:
            members = team.members.filter(left_at__isnull=True).select_related("user").order_by("id")
            teams.append({"case": case, "members": list(members)})
    # Check-ins, leave, sanctions and location orders (Art. 29) belong to correction cases only (their
    # actions refuse other kinds): a person without one is spared four queries.
    correction_ids = [c.pk for c in cases if c.kind == CaseKind.CORRECTION]
    checkins, leave, sanctions, orders = [], [], [], []
    if correction_ids:
        orders = list(
            LocationOrder.objects.visible_to(user, of=person).filter(case_id__in=correction_ids)
            .select_related("proposed_by", "decided_by").prefetch_related("renewals")
        )  # fmt: skip
        checkins = list(
            Checkin.objects.visible_to(user, of=person)
            .filter(case_id__in=correction_ids)
            .order_by("-at")[:30]
        )
        leave = list(
            LeaveRequest.objects.visible_to(user, of=person)
            .filter(case_id__in=correction_ids)
            .order_by("-starts_on")[:20]
        )
        sanctions = list(
            Sanction.objects.visible_to(user, of=person)
            # The ledger and what waits for the county (badged 待决定: not in force until decided); a refused
            # or lapsed proposal stays on its own page (/console/approvals/sanctions/<id>/).
            .filter(case_id__in=correction_ids, state__in=("decided", "proposed"))
            .order_by("-created_at", "-id")[:20]
        )
    followups = [
        followup_view(f, user)
        for f in FollowUp.objects.visible_to(user, of=person)
        .filter(case_id__in=case_ids)
        .order_by("-at")[:30]
    ]
    alerts = list(Alert.objects.visible_to(user, of=person).order_by("-opened_at")[:30])
    devices = list(Device.objects.visible_to(user, of=person).order_by("id"))

    start, end, track_note = _track_period(request)
    track, zones, locations = [], [], maps.may_see_locations(user)
    if locations:
        track = maps.fixes(person, *day_range(start, end), seen_by=user)
        if len(track) >= maps.TRACK_LIMIT:
            track_note = f"仅显示前 {maps.TRACK_LIMIT} 个定位点，请缩短时段"
        zones = maps.zones_for(person, user)
    with transaction.atomic():  # one commit for the page's audit rows
        record_audit(
            actor=user,
            action=AuditAction.PERSON_READ,
            target=person,
            details={"access": view["access"], "page": "console"},
        )
        if locations:
            record_audit(
                actor=user, action=AuditAction.PERSON_READ_TRACK, target=person,
                details={"from": start.isoformat(), "to": end.isoformat(), "points": len(track), "page": "console"},
            )  # fmt: skip
    return render(request, "console/person.html", {
        "p": view, "person": person, "cases": case_views, "teams": teams, "checkins": checkins,
        "leave": leave, "sanctions": sanctions, "followups": followups, "alerts": alerts, "devices": devices,
        "orders": orders, "today": timezone.localdate(), "criminal": sees_criminal_details(user),
        "locations": locations, "track_from": start, "track_to": end, "track_note": track_note,
        "track_count": len(track), "colour_labels": LABELS,
        "map_data": {"zones": zones, "fixes": track, "config": map_config().as_dict()}, "nav": "people",
    })  # fmt: skip
