from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "backend.supervision"
    label = "supervision"
    verbose_name = "监督管理：签到、外出、奖惩、随访与到期事项"

    def ready(self) -> None:
        # Imported here, not at the top: an app's config module loads before the models may be imported.
        from backend.monitoring.absences import add_absence_source
        from backend.supervision import (
            handlers,  # noqa: F401  (registers the due-item handlers)
            permissions,  # noqa: F401  (declares supervision's rules)
        )
        from backend.supervision.absences import ApprovedLeave

        add_absence_source("approved leave", ApprovedLeave())
