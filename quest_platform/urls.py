"""URL helpers shared by the blueprints."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request, url_for
from werkzeug.routing import IntegerConverter, Map

# The largest id a table holds (ids are INTEGER, signed 32-bit in PostgreSQL): a larger
# number names nothing.
LARGEST_ID = 2**31 - 1


def record_id(value: object) -> int | None:
    """The id ``value`` names (a form field, a query argument): ASCII digits up to the largest
    id a table holds; else None."""
    text = str(value)
    if text.isascii() and text.isdigit() and len(text) <= len(str(LARGEST_ID)):
        number = int(text)
        return number if number <= LARGEST_ID else None
    return None


class RecordId(IntegerConverter):
    """``<int:...>`` in every route: a whole number from 0 up to the largest id a table holds.

    A longer number in an address is a page not found, never an error from the database.
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def register_url_converters(app: Flask) -> None:
    """Bound the ids in addresses (before any route is added)."""
    app.url_map.converters["int"] = RecordId


def safe_next(target: str | None) -> str:
    """Return ``target`` as a path if it points into this site, else the home page.

    Only same-site targets are followed, so a crafted link cannot redirect elsewhere.
    """
    if target:
        parts = urlsplit(target)
        same_site = (not parts.scheme and not parts.netloc) or parts.netloc == request.host
        if same_site and parts.path.startswith("/") and not parts.path.startswith("//"):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return url_for("pages.home")
