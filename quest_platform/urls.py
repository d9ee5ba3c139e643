"""URL helpers shared by the blueprints."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for


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
