"""The sign-in page (in the console's look) and sign-out; the landing page is the console's dashboard."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from backend.core.actions import accounts
from backend.core.errors import DomainError


@require_http_methods(["GET", "POST"])
def sign_in_page(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    error, attempts_left, locked = "", None, False
    if request.method == "POST":
        try:
            accounts.sign_in(
                request, username=request.POST.get("username", ""), password=request.POST.get("password", "")
            )
            return redirect(next_url)
        except DomainError as exc:
            error = exc.message
            attempts_left = exc.details.get("attempts_left")
            locked = "locked_until" in exc.details
    context = {
        "error": error,
        "next": next_url,
        "attempts_left": attempts_left,
        "locked": locked,
        "expired": request.GET.get("expired") == "1" and not error,
        "max_failures": settings.LOGIN_MAX_FAILURES,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
    }
    return render(request, "core/login.html", context, status=401 if error else 200)


@require_http_methods(["POST"])
def sign_out_page(request: HttpRequest) -> HttpResponse:
    accounts.sign_out(request)
    return redirect("/login/")
