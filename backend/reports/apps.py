from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "backend.reports"
    label = "reports"
    verbose_name = "报表"

    def ready(self) -> None:
        # Imported here, not at the top: an app's config module loads before the models may be imported.
        from backend.reports import permissions  # noqa: F401  (declares the reports' rules)
