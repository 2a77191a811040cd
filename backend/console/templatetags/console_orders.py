"""``{{ cases|proposable }}``: whether a person's cases include one a location order may be proposed on — an
active (or term-ended) correction case (社区矫正法 Art. 29; ``propose_order`` checks it again)."""

from __future__ import annotations

from django import template

register = template.Library()

PROPOSABLE = {"active", "term_ended"}


@register.filter
def proposable(cases) -> bool:
    return any(c.get("kind") == "correction" and c.get("status") in PROPOSABLE for c in cases or ())
