"""The person page's case buttons: the state machine's edges allowed now for this case and this user
(``case_view``'s ``actions`` and the policy's ``case.manage``), and the kinds of case this user may open
for the person (``case.open``; one open case per kind, docs/people.md).  Read from the person and cases the
page already holds (prefetched by ``person_in_reach``): no query of their own."""

from __future__ import annotations

from typing import Any

from django import template

from backend.core.policy import may
from backend.people.models import CaseKind
from backend.people.models.case import OPEN_STATUSES

register = template.Library()


def _case(context: Any, case_id: int):
    person = context.get("person")
    if person is None:
        return None
    return next((case for case in person.cases.all() if case.pk == case_id), None)


@register.inclusion_tag("console/person_actions/_case_buttons.html", takes_context=True)
def case_buttons(context: Any, view: dict) -> dict:
    user = context["request"].user
    case = _case(context, view["id"])
    manages = case is not None and may(user, "case.manage", case)
    return {
        "c": view,
        "manages": manages,
        "edges": view.get("actions", []) if manages else [],
        "is_open": view["status"] in OPEN_STATUSES,
    }


@register.simple_tag(takes_context=True)
def openable_kinds(context: Any) -> list[tuple[str, str]]:
    person = context.get("person")
    if person is None:
        return []
    user = context["request"].user
    open_kinds = {case.kind for case in person.cases.all() if case.status in OPEN_STATUSES}
    return [
        (kind, label)
        for kind, label in CaseKind.choices
        if kind not in open_kinds and may(user, "case.open", kind)
    ]
