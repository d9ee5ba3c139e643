"""Users and rosters in the admin: search, filters, details, light edits and bulk actions.

Bulk actions deactivate accounts, print one-time passwords, and enroll or move students into a
classroom. Passwords and uniquifiers never appear: not in a list, a details page, a form or an
export; a one-time password is shown once, on the sheet that issues it, and never stored.
Accounts are created by the join and import flows, so this view creates none (yet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from flask import flash, g, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import BaseForm
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Query, selectinload
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import Length

from admin_views.base import ActionField, Scope, ScopedModelView
from admin_views.lists import (
    YES_NO,
    classroom_filter,
    labelled,
    labels_filter,
    moment,
    shown,
)
from quest_platform.models import Classroom, Enrollment, Role, RoleName, User, utcnow
from quest_platform.queries.activity import last_seen, seen_since
from quest_platform.queries.classrooms import (
    classrooms_taught_by,
    classrooms_visible_to,
    enrolled_in,
)
from quest_platform.services import ServiceError
from quest_platform.services.accounts import reset_student_password, update_account
from quest_platform.services.classrooms import enroll_student, move_student
from quest_platform.services.github import link_github_username
from quest_platform.time_zones import format_moment, in_zone

Result = TypeVar("Result")


ROLE_LABELS = {
    RoleName.ADMIN.value: _l("Administrator"),
    RoleName.TEACHER.value: _l("Teacher"),
    RoleName.STUDENT.value: _l("Student"),
}

LAST_SEEN_LABELS = {
    "never": _l("Never"),
    "week": _l("In the last 7 days"),
    "month": _l("8 to 30 days ago"),
    "older": _l("More than 30 days ago"),
}


# The "active" filter's choices, as the address writes them.
ACTIVE_LABELS = {"1": YES_NO[True], "0": YES_NO[False]}


def has_role(role: str) -> ColumnElement[bool]:
    """Accounts with the role ``role``."""
    return User.roles.any(Role.name == role)


def is_active(value: str) -> ColumnElement[bool]:
    """Active accounts ("1"), or deactivated ones ("0")."""
    return User.active.is_(value == "1")


def last_seen_in(period: str) -> ColumnElement[bool]:
    """Accounts last seen (see ``queries.activity.last_seen``) in ``period``, one of
    ``LAST_SEEN_LABELS``."""
    # Aware UTC times: the columns store UTC and read back aware (see models.base.UTCDateTime).
    now = utcnow()
    week, month = seen_since(now - timedelta(days=7)), seen_since(now - timedelta(days=30))
    conditions = {
        "never": ~seen_since(None),
        "week": week,
        "month": month & ~week,
        "older": seen_since(None) & ~month,
    }
    return conditions[period]


class GithubUsernameForm(BaseForm):
    """A student's GitHub login, set by their teacher (empty: unlinked)."""

    github_username = StringField(
        _l("GitHub username"),
        validators=[Length(max=100)],
        description=_l(
            "The student's login on github.com: their pull requests that name a checkpoint are"
            " handed in for them. Leave it empty to unlink it."
        ),
        render_kw={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"},
    )


class UserView(ScopedModelView):
    """A teacher's students (an admin's: everyone), never with a password or uniquifier."""

    can_create = False
    can_delete = False
    details_template = "admin_views/user/details.html"

    title_column = "display_name"
    column_list = [
        "display_name",
        "username",
        "email",
        "roles",
        "classrooms",
        "active",
        "last_seen",
    ]
    column_details_list = [
        "display_name",
        "username",
        "email",
        "pseudonym",
        "github_username",
        "roles",
        "classrooms",
        "active",
        "created_at",
        "last_seen",
        "current_login_at",
        "login_count",
    ]
    column_labels = {
        "display_name": _l("Name"),
        "username": _l("Username"),
        "email": _l("Email"),
        "pseudonym": _l("Leaderboard name"),
        "github_username": _l("GitHub username"),
        "roles": _l("Roles"),
        "classrooms": _l("Classrooms"),
        "active": _l("Active"),
        "created_at": in_zone(_l("Created")),
        "last_seen": in_zone(_l("Last seen")),
        "current_login_at": in_zone(_l("Last sign-in")),
        "login_count": _l("Sign-ins"),
    }
    column_sortable_list = ["display_name", "username", "email", "active"]
    column_default_sort = "display_name"
    column_searchable_list = ["username", "display_name", "email"]
    column_filters = [
        classroom_filter(student=User.id),
        labels_filter(User.id, _l("Role"), "role", ROLE_LABELS, has_role),
        labels_filter(User.active, _l("Active"), "active", ACTIVE_LABELS, is_active),
        labels_filter(User.id, _l("Last seen"), "last_seen", LAST_SEEN_LABELS, last_seen_in),
    ]
    column_formatters = {
        "classrooms": lambda view, context, user, name: view.classroom_names(user),
        "roles": shown(
            lambda user: ", ".join(str(ROLE_LABELS.get(r.name, r.name)) for r in user.roles)
        ),
        "active": labelled(YES_NO),
        "last_seen": lambda view, context, user, name: view.last_seen_text(user),
        "current_login_at": moment(missing=_l("Never")),
    }
    form_columns = ["display_name", "pseudonym", "active"]

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        students = enrolled_in(classrooms_taught_by(current_user.id))
        return User.id.in_(students) & User.roles.any(Role.name == RoleName.STUDENT.value)

    def get_query(self) -> Query[Any]:
        # The classrooms column reads enrollments: load them with the page, not row by row.
        return (
            super()
            .get_query()
            .options(
                selectinload(User.enrollments).joinedload(Enrollment.classroom),
                selectinload(User.taught_classrooms),
            )
        )

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, users = super().get_list(*args, **kwargs)
        # When each user on the page was last seen, in three queries rather than three a row.
        g.admin_last_seen = last_seen([user.id for user in users])
        return count, users

    def last_seen_text(self, user: User) -> str:
        """When ``user`` was last seen (a sign-in, an API token, an attempt), or "Never"."""
        seen = g.get("admin_last_seen", {})
        moment_seen = seen[user.id] if user.id in seen else last_seen([user.id])[user.id]
        return _("Never") if moment_seen is None else format_moment(moment_seen)

    def visible_classroom_ids(self) -> set[int]:
        if "admin_visible_classrooms" not in g:
            g.admin_visible_classrooms = {c.id for c in classrooms_visible_to(current_user)}
        return g.admin_visible_classrooms

    def action_fields(self) -> list[ActionField]:
        return [
            ActionField(
                name="classroom",
                label=_("Classroom (for Enroll and Move)"),
                prompt=_("Choose a classroom"),
                choices=self.classroom_choices(),
            )
        ]

    def classroom_names(self, user: User) -> str:
        """The classrooms ``user`` is in or teaches, named only where the current user may see."""
        visible = self.visible_classroom_ids()
        classrooms = [e.classroom for e in user.enrollments] + list(user.taught_classrooms)
        return ", ".join(sorted({c.name for c in classrooms if c.id in visible}))

    # Changes go through the accounts service, which checks who may change whom and audits it.

    def update_model(self, form: Any, model: User) -> bool:
        try:
            update_account(
                user=model,
                display_name=form.display_name.data or "",
                pseudonym=form.pseudonym.data or "",
                active=bool(form.active.data),
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)
        return True

    # A student's GitHub username, on their details page (a form of its own, as it is audited
    # and checked apart from the names).

    def github_form(self, user: User, formdata: Any = None) -> GithubUsernameForm:
        """The GitHub username form for ``user``, showing the login they linked."""
        return GithubUsernameForm(formdata, data={"github_username": user.github_username or ""})

    def render_details(self, user: User, form: GithubUsernameForm) -> str:
        return self.render(
            self.details_template,
            model=user,
            details_columns=self._details_columns,
            get_value=self.get_detail_value,
            return_url=get_redirect_target() or self.get_url(".index_view"),
            github_form=form,
        )

    @expose("/details/")
    def details_view(self) -> str:
        user = self.get_one(request.args.get("id", ""))
        return self.render_details(user, self.github_form(user))

    @expose("/github/", methods=["POST"])
    def github_username(self) -> Response | tuple[str, int]:
        """Link a student's GitHub username (or unlink it); a refused one comes back (422)."""
        user = self.get_one(request.args.get("id", ""))
        form = self.github_form(user, request.form)
        if form.validate():
            try:
                link_github_username(
                    user=user,
                    github_username=form.github_username.data or "",
                    by=current_user,
                )
            except ServiceError as error:
                form.github_username.errors = [*form.github_username.errors, error.message]
            else:
                flash(_("The GitHub username is saved."), "success")
                details = self.get_url(".details_view", id=user.id, url=get_redirect_target())
                return redirect(f"{details}#github-title")
        return self.render_details(user, form), 422

    # Bulk actions: each selected account in scope goes through a service on its own, so one
    # refusal (a teacher's account among students) leaves the others done.

    def change_each(
        self, users: Sequence[User], change: Callable[[User], Result]
    ) -> list[tuple[User, Result]]:
        """Apply ``change`` to each of ``users``; report each different refusal once."""
        done: list[tuple[User, Result]] = []
        refusals: dict[str, None] = {}
        for user in users:
            try:
                done.append((user, change(user)))
            except ServiceError as error:
                refusals[error.message] = None
        for message in refusals:
            flash(message, "error")
        return done

    def chosen_classroom(self) -> Classroom | None:
        """The classroom chosen beside the bulk actions if the user manages it; else None, said."""
        chosen = request.form.get("classroom", "")
        classrooms = classrooms_visible_to(current_user)
        classroom = next((c for c in classrooms if str(c.id) == chosen), None)
        if classroom is None:
            flash(
                _("Choose one of your classrooms to enroll or move students; nothing changed."),
                "error",
            )
        return classroom

    @action(
        "deactivate",
        _l("Deactivate"),
        _l("Deactivate the selected accounts? They are signed out and cannot sign in."),
    )
    def action_deactivate(self, ids: list[str]) -> None:
        """Deactivate each selected account the user may manage (never their own)."""
        done = self.change_each(
            self.in_scope(ids),
            lambda user: update_account(
                user=user,
                display_name=user.display_name,
                pseudonym=user.pseudonym,
                active=False,
                by=current_user,
            ),
        )
        flash(
            ngettext("%(num)d account deactivated.", "%(num)d accounts deactivated.", len(done)),
            "success",
        )

    @action(
        "reset_passwords",
        _l("Reset passwords and print them"),
        _l("Give the selected students new one-time passwords? Their old passwords stop working."),
    )
    def action_reset_passwords(self, ids: list[str]) -> str | None:
        """Give each selected student a one-time password; show them once, as a printable sheet.

        The sheet is this request's response, so the passwords are never stored: not in the
        session, a flash message or the audit log.
        """
        credentials = self.change_each(
            self.in_scope(ids),
            lambda student: reset_student_password(student=student, by=current_user),
        )
        if not credentials:
            flash(_("No password was reset: select students of your classrooms."), "error")
            return None
        credentials.sort(key=lambda pair: (pair[0].display_name.lower(), pair[0].username))
        return self.render(
            "admin_views/password_sheet.html",
            credentials=credentials,
            return_url=get_redirect_target() or self.get_url(".index_view"),
        )

    @action(
        "enroll_in_classroom",
        _l("Enroll in classroom"),
        _l("Enroll the selected students in the chosen classroom?"),
    )
    def action_enroll_in_classroom(self, ids: list[str]) -> None:
        """Add each selected student to the chosen classroom, keeping their other classrooms."""
        classroom = self.chosen_classroom()
        if classroom is None:
            return
        students = self.in_scope(ids)
        already = [
            s for s in students if any(e.classroom_id == classroom.id for e in s.enrollments)
        ]
        done = self.change_each(
            [student for student in students if student not in already],
            lambda student: enroll_student(student=student, classroom=classroom, by=current_user),
        )
        flash(
            ngettext(
                "%(num)d student enrolled in %(name)s.",
                "%(num)d students enrolled in %(name)s.",
                len(done),
                name=classroom.name,
            ),
            "success",
        )
        if already:
            flash(
                ngettext(
                    "%(num)d selected student was already in %(name)s.",
                    "%(num)d selected students were already in %(name)s.",
                    len(already),
                    name=classroom.name,
                ),
                "info",
            )

    @action(
        "move_to_classroom",
        _l("Move to classroom"),
        _l("Move the selected students to the chosen classroom, out of your other classrooms?"),
    )
    def action_move_to_classroom(self, ids: list[str]) -> None:
        """Move each selected student into the chosen classroom, out of the user's others."""
        classroom = self.chosen_classroom()
        if classroom is None:
            return
        done = self.change_each(
            self.in_scope(ids),
            lambda student: move_student(student=student, classroom=classroom, by=current_user),
        )
        flash(
            ngettext(
                "%(num)d student moved to %(name)s.",
                "%(num)d students moved to %(name)s.",
                len(done),
                name=classroom.name,
            ),
            "success",
        )
