from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = "通知：告警送达（短信、邮件、Webhook、站内信）"

    def ready(self) -> None:
        """Hear of every alert step (deliveries planned in the alert's transaction, routing read once per
        batch of alerts), send supervision's reminders and the decisions' notices (backend/core/notices.py):
        the packages below call up through these."""
        # Inside ready(): these modules import models, which cannot load while the app registry fills.
        from backend.core import notices
        from backend.monitoring import alerting
        from backend.supervision import reminders
        from notifications import notices as notice_sender
        from notifications import permissions  # noqa: F401  (declares the notifications' rules)
        from notifications.outbox import plan_deliveries
        from notifications.reminders import remind_people, remind_staff
        from notifications.routing import memoised

        alerting.subscribe(plan_deliveries, batch=memoised)
        reminders.register(staff=remind_staff, people=remind_people)
        notices.register(notice_sender.notify_staff)
