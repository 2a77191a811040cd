from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "backend.people"
    label = "people"
    verbose_name = "服务管理对象：人员、案件与小组"

    def ready(self) -> None:
        # Imported here, not at the top: an app's config module loads before the models may be imported.
        from backend.people import permissions, reach  # noqa: F401  (permissions declares people's rules)
        from backend.people.models.scope import provide_reach

        provide_reach(reach=reach.reach, mental_health_persons=reach.mental_health_persons)
