from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "backend.monitoring"
    label = "monitoring"
    verbose_name = "监控：定位设备、位置与告警"

    def ready(self) -> None:
        # Imported here, not at the top: an app's config module loads before the models may be imported.
        from backend.monitoring import permissions  # noqa: F401  (declares monitoring's rules)
        from backend.monitoring.colour import open_alerts
        from backend.people.colour import add_colour_source

        add_colour_source("open alerts", open_alerts)
