"""/api/v1/due-items: 到期事项."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["到期事项"])
