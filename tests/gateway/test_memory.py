"""The gateway's cyclic-collector settings: what start-up built is frozen, young collections are rare."""

from __future__ import annotations

import gc

from django.conf import settings

from gps_gateway.runner import settle_memory


def test_settling_memory_freezes_what_start_up_built_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        built_at_start = [{"device": n} for n in range(1000)]
        settle_memory(settings.GATEWAY_GC_THRESHOLD)  # what rungateway passes
        assert gc.get_freeze_count() >= len(built_at_start)
        assert gc.get_threshold() == (settings.GATEWAY_GC_THRESHOLD, before[1], before[2])
        assert settings.GATEWAY_GC_THRESHOLD == 50_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
