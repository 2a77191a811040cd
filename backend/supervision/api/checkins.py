"""/api/v1/checkins: 签到与报告."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["签到与报告"])
