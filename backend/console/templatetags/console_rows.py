"""Table rows the console draws by the hundred: one ``format_html`` per row instead of the template language.

A people-list row through ``{% for %}`` / ``{% if %}`` is several times dearer than one ``format_html``, and
the people list and the colour board draw up to 300 of them.  ``format_html`` escapes every value it is
given (``conditional_escape``), so every value from the database or the user is escaped by Django; the
markup is only the format strings and the fixed words written here (marked safe once, not escaped per row).
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_DASH = mark_safe("—")
_GENDERS = {"male": mark_safe("男"), "female": mark_safe("女")}
_KINDS = {"correction": "社区矫正", "aftercare": "安置帮教"}
_MINOR = mark_safe(' <span class="badge">未成年</span>')
_PERSON_ROW = (
    '<tr>\n    <td><span class="dot {0}" title="{0}"></span></td>\n'
    '    <td><a href="/console/people/{1}/">{2}</a>{3}</td>\n'
    "    <td>{4}</td>\n    <td>{5}</td>\n"
    "    <td>{6}</td>\n    <td>{7}</td>\n  </tr>"
)
_BADGE = '<span class="badge">{}</span> '
_NAME_LINK = '<li><a href="/console/people/{}/">{}</a></li>'


def _text(value):
    return _DASH if value in (None, "") else value


@lru_cache(maxsize=64)
def _badges(kinds: tuple[str, ...]) -> SafeString:
    """The open cases' badges: a handful of combinations of three kinds, so each is built once."""
    return format_html_join("", _BADGE, ((_KINDS.get(kind, "精神障碍"),) for kind in kinds))


def _person_row(p: dict) -> tuple:
    """The values of one people-list row in ``_PERSON_ROW``'s order; ``format_html`` escapes each."""
    return (
        p["colour"],
        int(p["id"]),
        _text(p["name"]),
        _MINOR if p["is_minor"] else "",
        _GENDERS.get(p["gender"], _DASH),
        _text(p["age"]),
        _text(p["id_number_masked"]),
        _badges(tuple(c["kind"] for c in p["open_cases"])),
    )


@register.simple_tag
def people_rows(people: list[dict]) -> SafeString:
    """The ``<tr>`` of each list item of ``presenters.list_items``."""
    return format_html_join("", _PERSON_ROW, (_person_row(p) for p in people))


@register.simple_tag
def name_links(people) -> SafeString:
    """``<li>`` links to each person's page, for the dashboard's colour board (up to 300 names)."""
    return format_html_join("", _NAME_LINK, ((int(p.pk), _text(p.name)) for p in people))
