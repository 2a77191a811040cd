"""QR codes drawn on the server as inline SVG (segno): no script, no image request, nothing for the CSP to
allow — a phone scans the page the credential is shown on."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_matrix(text: str) -> segno.QRCode:
    """The code for ``text``: medium error correction, a full (not micro) QR code, as phones read."""
    return segno.make(text, error="m", micro=False)


def qr_svg(text: str, *, title: str = "") -> SafeString:
    """Inline ``<svg>`` sized by CSS (``.qr``), dark modules on a white ground with the quiet zone."""
    svg = qr_matrix(text).svg_inline(
        scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr", lineclass=None,
        title=title or None,
    )  # fmt: skip
    return mark_safe(svg)  # noqa: S308 (segno escapes the title; the rest is path data it drew)
