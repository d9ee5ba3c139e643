"""Users and rosters in the admin: search, filters, details, light edits, deactivation.

Passwords and uniquifiers never appear: not in a list, a details page, a form or an export.
Accounts are created by the join and import flows, so this view creates none (yet).
"""

from __future__ import annotations

from typing import Any

from flask import flash, g
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from sqlalchemy import select
from sqlalchemy.orm import Query, selectinload

from admin_views.base import ChoiceFilter, Scope, ScopedModelView
from admin_views.classrooms import classrooms_taught_by
from quest_platform.models import Enrollment, Role, RoleName, User
from quest_platform.queries.classrooms import classrooms_visible_to
from quest_platform.services import ServiceError
from quest_platform.services.accounts import update_account


def enrolled_in(classroom_ids: Any) -> Any:
    """The ids of the students enrolled in any of ``classroom_ids``, as a subquery."""
    return select(Enrollment.student_id).where(Enrollment.classroom_id.in_(classroom_ids))


ROLE_LABELS = {
    RoleName.ADMIN.value: _l("Administrator"),
    RoleName.TEACHER.value: _l("Teacher"),
    RoleName.STUDENT.value: _l("Student"),
}


class UserView(ScopedModelView):
    """A teacher's students (an admin's: everyone), never with a password or uniquifier."""

    can_create = False
    can_delete = False

    title_column = "display_name"
    column_list = [
        "display_name",
        "username",
        "email",
        "roles",
        "classrooms",
        "active",
        "current_login_at",
    ]
    column_details_list = [
        "display_name",
        "username",
        "email",
        "pseudonym",
        "roles",
        "classrooms",
        "active",
        "created_at",
        "current_login_at",
        "login_count",
    ]
    column_export_list = column_list
    column_sortable_list = ["display_name", "username", "email", "active", "current_login_at"]
    column_default_sort = "display_name"
    column_searchable_list = ["username", "display_name", "email"]
    column_filters = [
        ChoiceFilter(
            User.id,
            _l("Classroom"),
            key="classroom",
            valid=str.isdigit,
            condition=lambda value: User.id.in_(enrolled_in([int(value)])),
        ),
        ChoiceFilter(
            User.id,
            _l("Role"),
            key="role",
            valid=lambda value: value in ROLE_LABELS,
            condition=lambda value: User.roles.any(Role.name == value),
        ),
        ChoiceFilter(
            User.active,
            _l("Active"),
            key="active",
            valid=lambda value: value in {"0", "1"},
            condition=lambda value: User.active.is_(value == "1"),
        ),
    ]
    column_labels = {
        "display_name": _l("Name"),
        "username": _l("Username"),
        "email": _l("Email"),
        "pseudonym": _l("Leaderboard name"),
        "roles": _l("Roles"),
        "classrooms": _l("Classrooms"),
        "active": _l("Active"),
        "created_at": _l("Created"),
        "current_login_at": _l("Last sign-in"),
        "login_count": _l("Sign-ins"),
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

    def visible_classroom_ids(self) -> set[int]:
        if "admin_visible_classrooms" not in g:
            g.admin_visible_classrooms = {c.id for c in classrooms_visible_to(current_user)}
        return g.admin_visible_classrooms

    def filter_choices(self, name: str) -> list[tuple[str, str]]:
        if name == "classroom":
            return [
                (str(classroom.id), f"{classroom.name} ({classroom.term})")
                for classroom in classrooms_visible_to(current_user)
            ]
        if name == "role":
            return [(value, str(label)) for value, label in ROLE_LABELS.items()]
        if name == "active":
            return [("1", _("Yes")), ("0", _("No"))]
        return []

    # Columns shown as text: only classrooms the current user may see are named.

    def _classrooms(self, context: Any, model: User, name: str) -> str:
        visible = self.visible_classroom_ids()
        classrooms = [e.classroom for e in model.enrollments] + list(model.taught_classrooms)
        return ", ".join(sorted({c.name for c in classrooms if c.id in visible}))

    def _roles(self, context: Any, model: User, name: str) -> str:
        return ", ".join(str(ROLE_LABELS.get(role.name, role.name)) for role in model.roles)

    def _active(self, context: Any, model: User, name: str) -> str:
        return _("Yes") if model.active else _("No")

    def _last_sign_in(self, context: Any, model: User, name: str) -> str:
        moment = model.current_login_at
        return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else _("Never")

    column_formatters = {
        "classrooms": _classrooms,
        "roles": _roles,
        "active": _active,
        "current_login_at": _last_sign_in,
    }
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters

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

    @action(
        "deactivate",
        _l("Deactivate"),
        _l("Deactivate the selected accounts? They are signed out and cannot sign in."),
    )
    def action_deactivate(self, ids: list[str]) -> None:
        """Deactivate each selected account the user may manage (never their own)."""
        done = 0
        for user in self.in_scope(ids):
            try:
                update_account(
                    user=user,
                    display_name=user.display_name,
                    pseudonym=user.pseudonym,
                    active=False,
                    by=current_user,
                )
            except ServiceError as error:
                self.report(error)
                continue
            done += 1
        flash(
            ngettext("%(num)d account deactivated.", "%(num)d accounts deactivated.", done),
            "success",
        )
