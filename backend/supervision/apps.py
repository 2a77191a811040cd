from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "backend.supervision"
    label = "supervision"
    verbose_name = "监督管理：签到、外出、奖惩、随访与到期事项"

    def ready(self) -> None:
        from backend.supervision import handlers  # noqa: F401  (registers the due-item handlers)
