"""The QR code of a game's join link, drawn on the server as SVG (segno)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def join_qr_svg(url: str, *, title: str) -> Markup:
    """``url`` as an inline SVG QR code with ``title`` as its text alternative.

    Dark modules on white whatever the page's theme: phone cameras read that best.
    """
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=6, border=2, dark="#000", light="#fff", title=title, omitsize=True)
    # The title is what a screen reader says: the SVG is an image with that name.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 -- segno's own SVG, the title escaped by segno
