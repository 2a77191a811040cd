"""/api/v1/sanctions: 考核奖惩."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["考核奖惩"])
