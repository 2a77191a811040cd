"""The page an acknowledge link opens (签收页): the alert in brief and one button.  GET changes nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from backend.core.errors import DomainError
from backend.monitoring.models import AlertKind, Severity
from notifications.links import acknowledge_via_link, delivery_for_token
from notifications.messages import case_number, local_time


@require_http_methods(["GET", "POST"])
def acknowledge_page(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("t", "")
    context: dict = {}
    try:
        delivery = delivery_for_token(token)
        alert = delivery.alert
        if request.method == "POST":
            alert = acknowledge_via_link(token)
            context["done"] = True
        context.update(
            kind=AlertKind(alert.kind).label, severity=Severity(alert.severity).label,
            number=case_number(alert), when=local_time(alert.first_seen_at), state=alert.get_state_display(),
            recipient=delivery.recipient, used=delivery.link_used_at is not None and "done" not in context,
        )  # fmt: skip
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "notifications/ack.html", context, status=exc.status)
    return render(request, "notifications/ack.html", context)
