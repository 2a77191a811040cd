"""What every console page shares: sign-in, the domain-error → message path, local dates."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

from backend.core.errors import DomainError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in staff only; a session that idled out goes to the sign-in page saying so."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            query = {"next": request.get_full_path()}
            if getattr(request, "session_expired", False):
                query["expired"] = "1"
            if request.headers.get("X-Requested-With") == "fetch":
                return HttpResponse(status=401)  # the auto-refresh reloads the page, which then redirects
            return HttpResponseRedirect(f"/login/?{urlencode(query)}")
        return view(request, *args, **kwargs)

    return wrapper


def act(request: HttpRequest, back: str, action: Callable[[], object], done: str) -> HttpResponse:
    """Run an action; its refusal (a Chinese message from the domain) is shown on the page we return to."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


def parse_date(value: str | None, default: dt.date | None = None) -> dt.date | None:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return default


def day_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in Asia/Shanghai: the office's days."""
    return (
        dt.datetime.combine(start, dt.time(0), tzinfo=SHANGHAI),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=SHANGHAI),
    )


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
