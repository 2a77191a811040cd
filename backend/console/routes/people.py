"""The console's people pages (included by backend/console/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
