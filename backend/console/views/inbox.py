"""站内信: the signed-in user's own messages — alerts routed to them and the notices of decisions on what
they proposed (a location order, leave or sanction refused or expired) — newest first, each with a link to
the page it concerns; mark one or all read.

Only the recipient ever sees a message (``recipient=request.user``: another user's message id is a 404).
The texts are written to carry no more personal data than their recipient may see (``notifications/messages.py``,
``backend/core/notices.py``), so the page writes no audit row, as ``GET /api/v1/inbox``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications.actions import mark_read
from notifications.models import InboxMessage

from .common import int_or_none, staff_page

LIMIT = 100


def _link(message: InboxMessage) -> str:
    """Where the message leads in the console: the notice's own link, else the alert's page."""
    delivery = message.delivery
    path = (delivery.details or {}).get("link", "") if delivery is not None else ""
    if isinstance(path, str) and path.startswith("/console/"):
        return path
    return f"/console/alerts/{message.alert_id}/" if message.alert_id else ""


def _text(message: InboxMessage) -> str:
    """The body without the absolute "详情：https://…" line the e-mail needs; the page links instead."""
    return message.body.split("\n\n详情：", 1)[0]


@staff_page
def inbox_page(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    queryset = InboxMessage.objects.filter(recipient=request.user).select_related("delivery")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    messages = list(queryset.order_by("-created_at", "-id")[:LIMIT])
    rows = [
        {"m": m, "link": _link(m), "title": m.title.removeprefix("[安帮] "), "text": _text(m)}
        for m in messages
    ]
    return render(request, "console/inbox.html", {
        "rows": rows, "unread_only": unread_only, "limit": LIMIT, "nav": "inbox",
    })  # fmt: skip


@require_POST
@staff_page
def read(request: HttpRequest) -> HttpResponse:
    """One message (``id``) or, without one, all of the user's messages marked read."""
    message_id = int_or_none(request.POST.get("id"))
    mark_read(user=request.user, message_ids=None if message_id is None else [message_id])
    back = "/console/inbox/?unread=1" if request.POST.get("unread") == "1" else "/console/inbox/"
    return redirect(back)
