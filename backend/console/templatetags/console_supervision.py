"""The person page's supervision offers (check-ins, follow-ups, leave, sanctions): what this user may do
now for each case, leave request and sanction the page shows (``views/supervision/offers.py``).  Called once
at the top of the page (``{% supervision_panel as sv %}``) and read by the action bar and the sections."""

from __future__ import annotations

from typing import Any

from django import template

from ..views.supervision.offers import Panel, panel

register = template.Library()


@register.simple_tag(takes_context=True)
def supervision_panel(context: Any) -> Panel:
    person = context.get("person")
    if person is None:
        return Panel()
    return panel(context["request"].user, person, context.get("leave") or [], context.get("sanctions") or [])
