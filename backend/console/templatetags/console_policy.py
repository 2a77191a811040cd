"""``{% may "person.edit" as can_edit %}``: whether the signed-in user may do an action (the one policy,
``backend.core.policy.may``), so a page offers only the buttons its reader may use; the action refuses
again on the server whatever the page showed."""

from __future__ import annotations

from typing import Any

from django import template

from backend.core.policy import may as policy_may

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, action: str, obj: Any = None) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return policy_may(user, action, obj)
