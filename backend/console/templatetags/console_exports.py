"""``{% export_url %}``: the current list page's URL with its filters and ``format=xlsx`` (导出 XLSX)."""

from __future__ import annotations

from django import template

from backend.console.exports import export_link

register = template.Library()


@register.simple_tag(takes_context=True)
def export_url(context) -> str:
    return export_link(context["request"])
