"""工作台: my open alerts with a countdown, counts by kind, the three-colour board, offline devices,
check-ins missed today and what waits for my approval.  The page re-fetches its body every 30 s."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.people.colour import LABELS

from .. import dashboard
from ..conf import refresh_seconds
from .common import staff_page

_SEEN_KEY = "console_dashboard_seen"


def _audit(request: HttpRequest, board: dashboard.Dashboard, *, refresh: bool) -> None:
    """Names on the dashboard are personal data: audited like the API's person list.  A refresh that shows
    the same people again is not a new read (one row per change, not one every 30 seconds)."""
    ids = board.person_ids()
    seen = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    unchanged = request.session.get(_SEEN_KEY) == seen
    if refresh and unchanged:
        return
    if not unchanged:  # writing the same value would rewrite the session row: a second commit per page
        request.session[_SEEN_KEY] = seen
    record_audit(
        actor=request.user, action=AuditAction.PERSON_LIST, details={"ids": ids, "page": "console.dashboard"}
    )


@staff_page
def dashboard_page(request: HttpRequest) -> HttpResponse:
    refresh = request.GET.get("fragment") == "1"
    board = dashboard.build(request.user)
    _audit(request, board, refresh=refresh)
    context = {
        "d": board,
        "colour_labels": LABELS,
        "now": timezone.now(),
        "refresh_seconds": refresh_seconds(),
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "nav": "dashboard",
    }
    template = "console/_dashboard_body.html" if refresh else "console/dashboard.html"
    return render(request, template, context)
