"""/api/v1/leave: 外出."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["外出"])
