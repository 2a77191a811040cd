from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "backend.monitoring"
    label = "monitoring"
    verbose_name = "监控：定位设备、位置与告警"
