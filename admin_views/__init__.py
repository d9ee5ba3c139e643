"""The teacher admin at /admin (Flask-Admin), protected by role."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_babel import lazy_gettext as _l

from admin_views.dashboard import TeacherHomeView


def register_admin(app: Flask) -> Admin:
    """Create the admin for this app with the teacher home as its index page."""
    return Admin(
        app,
        name=_l("Quest Platform"),
        index_view=TeacherHomeView(name=_l("Teacher home"), url="/admin"),
    )
