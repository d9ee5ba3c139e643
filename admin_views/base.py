"""Access rules shared by every admin view: staff only, scoped to what each may see."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_security import current_user
from werkzeug.wrappers import Response


class StaffOnlyMixin:
    """Lets teachers and admins in; sends visitors to sign in and refuses students (403)."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.active and current_user.is_staff)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            # After signing in, come back to the page asked for (or the teacher home after a form).
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("security.login", next=target or url_for("admin.index")))
        return abort(403)
