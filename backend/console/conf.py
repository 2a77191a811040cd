"""The console's map settings.

From settings (ANBANG_CONSOLE_* environment variables, backend/settings.py), so the console works offline
by default: no tile URL → zones and tracks on a plain background.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TILE_CRS_CHOICES = ("wgs84", "gcj02")


@dataclass(frozen=True)
class MapConfig:
    tile_url: str  # e.g. "https://tiles.example/{z}/{x}/{y}.png"; empty = no tiles (offline)
    tile_crs: str  # "wgs84", or "gcj02" for AMap/Tencent tiles: coordinates are shifted for display only
    attribution: str

    def as_dict(self) -> dict[str, str]:
        return {"tileUrl": self.tile_url, "tileCrs": self.tile_crs, "attribution": self.attribution}


def map_config() -> MapConfig:
    crs = settings.CONSOLE_TILE_CRS.strip().lower()
    if crs not in TILE_CRS_CHOICES:
        raise ImproperlyConfigured("CONSOLE_TILE_CRS 只能是 wgs84 或 gcj02")
    return MapConfig(
        tile_url=settings.CONSOLE_TILE_URL.strip(),
        tile_crs=crs,
        attribution=settings.CONSOLE_TILE_ATTRIBUTION,
    )


def refresh_seconds() -> int:
    """How often the dashboard re-fetches its body (ANBANG_CONSOLE_REFRESH_S; 30 s by default)."""
    return int(settings.CONSOLE_REFRESH_SECONDS)
