from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = "通知：告警送达（短信、邮件、Webhook、站内信）"
