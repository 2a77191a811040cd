"""The staff console's pages (server-rendered, Chinese)."""

from __future__ import annotations

urlpatterns: list = []
