"""Report downloads: person files, monthly statistics, alert logs (PDF)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["报表"])
