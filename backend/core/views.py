"""A minimal sign-in page and landing page until the staff console (backend/console) takes over."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
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
    error = ""
    if request.method == "POST":
        try:
            accounts.sign_in(
                request, username=request.POST.get("username", ""), password=request.POST.get("password", "")
            )
            return redirect(next_url)
        except DomainError as exc:
            error = exc.message
    return render(
        request, "core/login.html", {"error": error, "next": next_url}, status=401 if error else 200
    )


@require_http_methods(["POST"])
def sign_out_page(request: HttpRequest) -> HttpResponse:
    accounts.sign_out(request)
    return redirect("/login/")


@login_required(login_url="/login/")
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"user": request.user})
