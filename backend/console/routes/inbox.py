"""The console's inbox (站内信) pages (included by backend/console/urls.py)."""

from __future__ import annotations

from django.urls import path

from backend.console.views import inbox

urlpatterns: list = [
    path("inbox/", inbox.inbox_page, name="inbox"),
    path("inbox/read", inbox.read, name="inbox_read"),
]
