"""报表: forms that lead to the reports API (session auth works for GET); the API scopes and audits."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backend.core.models import Jurisdiction

from .common import staff_page


@staff_page
def reports_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return render(request, "console/reports.html", {
        "jurisdictions": Jurisdiction.objects.visible_to(request.user).order_by("path")[:300],
        "home": request.user.jurisdiction, "month": last_month, "this_month": today.strftime("%Y-%m"),
        "today": today, "log_from": today - dt.timedelta(days=29),
        "nav": "reports",
    })  # fmt: skip
