"""Signing in: Flask-Security-Too, server-side sessions and the sign-in throttle."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, Request, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import LoginForm as SecurityLoginForm
from flask_security import (
    SQLAlchemyUserDatastore,
    current_user,
    password_changed,
    user_authenticated,
)
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from quest_platform.extensions import csrf, db, limiter, security
from quest_platform.i18n import register_security_catalogs
from quest_platform.models import Role, User
from quest_platform.services.accounts import (
    authenticate_user,
    record_password_change,
    stand_in_hash,
)
from quest_platform.sessions import configure_sessions
from quest_platform.throttles import throttle_security_views

# The signed-in user with their roles, by the uniquifier their session names: built once, since
# every signed-in request runs it.
USER_BY_UNIQUIFIER = (
    select(User)
    .options(joinedload(User.roles))
    .where(User.fs_uniquifier == bindparam("uniquifier"))
)


class UserDatastore(SQLAlchemyUserDatastore):
    """Flask-Security's datastore, loading each request's user with a statement built once."""

    def find_user(self, case_insensitive: bool = False, **kwargs: Any) -> User | None:
        if not case_insensitive and list(kwargs) == ["fs_uniquifier"]:
            return db.session.scalar(USER_BY_UNIQUIFIER, {"uniquifier": kwargs["fs_uniquifier"]})
        found = super().find_user(case_insensitive=case_insensitive, **kwargs)
        return found if isinstance(found, User) else None


class LoginForm(SecurityLoginForm):
    """Sign in with a username or an email address; there is no "remember me" cookie."""

    remember = None
    # Named "email" because Flask-Security's generic-error handling looks for that field;
    # it accepts a username or an email address.
    email = StringField(
        _l("Username or email"),
        validators=[DataRequired(), Length(max=255)],
        render_kw={"autocomplete": "username"},
    )

    def validate(self, **kwargs: Any) -> bool:
        # The fields' own checks (Flask-WTF's), skipping Flask-Security's password check: the
        # password is checked as on every sign-in path. Setting ifield and user is how
        # Flask-Security lets a subclass identify the user.
        if not super(SecurityLoginForm, self).validate(**kwargs):
            return False
        self.ifield = self.email
        self.user = authenticate_user(
            login=self.email.data or "", password=self.password.data or ""
        )
        if self.user is None:
            # Shown as Flask-Security's one generic message (SECURITY_RETURN_GENERIC_RESPONSES).
            self.password.errors.append(_("The username or password is not right."))
            return False
        self.user_authenticated = True
        return True


# What a user holding a one-time password may still do: change it, leave, or switch language
# (the change-password page offers the language switch in its footer).
ONE_TIME_PASSWORD_ENDPOINTS = frozenset(
    {"security.change_password", "security.logout", "pages.language", "static"}
)


def require_new_password() -> Response | None:
    """Send a user holding a one-time password to the change-password page first."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ONE_TIME_PASSWORD_ENDPOINTS
    ):
        flash(_("Please choose a new password to replace your one-time password."), "info")
        return redirect(url_for("security.change_password"))
    return None


def _password_changed(app: Flask, user: User, **extra: Any) -> None:
    record_password_change(user=user)


def _new_session_id(app: Flask, user: User, **extra: Any) -> None:
    # A fresh session id at sign-in defeats session fixation. The interface and the session are
    # Flask-Session's (configure_sessions), which Flask types as its own base classes.
    interface = cast(ServerSideSessionInterface, app.session_interface)
    interface.regenerate(cast(ServerSideSession, session))


def no_user_from_request(request: Request) -> None:
    """Sign no one in from a request's headers or body: the API's own tokens do that.

    Flask-Security's loader would read every JSON body for its own tokens, which never expire;
    the API's personal tokens (quest_platform/api/access.py) expire and can be revoked.
    """


def register_security(app: Flask) -> None:
    """Set up CSRF, sessions, Flask-Security-Too and the sign-in throttle."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    csrf.init_app(app)
    configure_sessions(app)
    limiter.init_app(app)
    datastore = UserDatastore(db, User, Role)
    security.init_app(app, datastore, login_form=LoginForm)
    register_security_catalogs(app)
    security.login_manager.request_loader(no_user_from_request)
    throttle_security_views(app)
    with app.app_context():
        # Made now, so that even the first sign-in naming no account takes no longer.
        stand_in_hash()
    app.before_request(require_new_password)
    password_changed.connect(_password_changed, app)
    user_authenticated.connect(_new_session_id, app)
