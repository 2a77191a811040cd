"""/api/v1/followups: 随访与走访."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["随访与走访"])
