"""The unread count beside 站内信 in the menu: one indexed count (``inbox_unread``) per page."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from notifications.models import InboxMessage

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_badge(context) -> str:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return ""
    count = InboxMessage.objects.filter(recipient=user, read_at__isnull=True).count()
    return format_html(' <span class="badge unread-count">{}</span>', count) if count else ""
