"""The console's zones pages (included by backend/console/urls.py)."""

from __future__ import annotations

urlpatterns: list = []
