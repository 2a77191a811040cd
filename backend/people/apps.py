from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "backend.people"
    label = "people"
    verbose_name = "服务管理对象：人员、案件与小组"
