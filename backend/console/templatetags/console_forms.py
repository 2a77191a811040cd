"""Form helpers for the console's templates: the message beside a field and the value as typed.

``{{ errors|error_for:"id_number" }}`` renders the field's message (``<span class="field-error">``, linked
to the input by ``id="<name>-error"`` for ``aria-describedby``) or nothing; ``{{ errors|invalid:"name" }}``
gives ``aria-invalid="true"`` for a field in error; ``{{ values|typed:"phones.0.number" }}`` the value
posted (dotted names cannot be looked up in the template language)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def error_for(errors, name: str) -> str:
    message = getattr(errors, "fields", {}).get(name) if errors else None
    if not message:
        return ""
    return format_html('<span class="field-error" id="{}-error" role="alert">{}</span>', name, message)


@register.filter
def invalid(errors, name: str) -> str:
    if errors and name in getattr(errors, "fields", {}):
        return format_html('aria-invalid="true" aria-describedby="{}-error"', name)
    return ""


@register.filter
def typed(values, name: str) -> str:
    if not values:
        return ""
    getter = getattr(values, "get", None)
    return (getter(name) if getter else "") or ""
