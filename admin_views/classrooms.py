"""Classrooms in the admin: list, details and roster, create (then the next steps of setting the
class up), edit, delete if empty, join codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, g, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user

from admin_views.base import Scope, ScopedModelView
from admin_views.classroom_github import ClassroomGithubViews
from admin_views.classroom_slack import ClassroomSlackViews
from admin_views.lists import labelled
from quest_platform.models import Classroom, Team, User
from quest_platform.queries.activity import last_seen
from quest_platform.queries.classrooms import classrooms_taught_by, enrollment_counts, roster_of
from quest_platform.queries.teams import teams_of
from quest_platform.services import ServiceError
from quest_platform.services.classrooms import (
    create_classroom,
    delete_classroom,
    regenerate_join_code,
    update_classroom,
)
from quest_platform.time_zones import in_zone


class ClassroomView(ClassroomSlackViews, ClassroomGithubViews, ScopedModelView):
    """A teacher's classrooms (an admin's: all of them), with join codes and enrollment counts,
    their Slack announcements (``classroom_slack.py``) and GitHub webhook
    (``classroom_github.py``)."""

    details_template = "admin_views/classroom_details.html"
    title_column = "name"
    column_list = ["name", "term", "period", "join_code", "students", "leaderboard_enabled"]
    column_details_list = [
        "name",
        "term",
        "period",
        "join_code",
        "students",
        "leaderboard_enabled",
        "created_at",
    ]
    column_export_list = ["name", "term", "period", "join_code", "students"]
    column_labels = {
        "name": _l("Name"),
        "term": _l("Term"),
        "period": _l("Period"),
        "join_code": _l("Join code"),
        "students": _l("Students"),
        "leaderboard_enabled": _l("Leaderboard"),
        "created_at": in_zone(_l("Created")),
    }
    column_sortable_list = ["name", "term", "period"]
    column_default_sort = [("term", False), ("period", False), ("name", False)]
    column_searchable_list = ["name", "term"]
    column_formatters = {
        # Counted for the whole page at once (see get_list).
        "students": lambda view, context, classroom, name: view.enrollment_count(classroom),
        "leaderboard_enabled": labelled({True: _l("On"), False: _l("Off")}),
    }
    form_columns = ["name", "term", "period", "leaderboard_enabled"]

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return Classroom.id.in_(classrooms_taught_by(current_user.id))

    # Enrollment counts: one grouped query per page, not one per row.

    def get_list(self, *args: Any, **kwargs: Any) -> tuple[int | None, Any]:
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True):
            g.admin_enrollment_counts = enrollment_counts(list(rows))
        return count, rows

    def enrollment_count(self, classroom: Classroom) -> int:
        counts = g.get("admin_enrollment_counts") or {}
        if classroom.id not in counts:
            counts = enrollment_counts([classroom])
        return counts[classroom.id]

    def roster(self, classroom: Classroom) -> list[User]:
        """The students enrolled in ``classroom``, for its details page (found in scope)."""
        return roster_of(classroom)

    def teams(self, classroom: Classroom) -> list[Team]:
        """The teams of ``classroom``, by name, for its details page."""
        return teams_of(classroom.id)

    def last_seen(self, roster: list[User]) -> dict[int, datetime | None]:
        """When each student of ``roster`` was last seen (a sign-in, an API token, an attempt)."""
        return last_seen([student.id for student in roster])

    # Changes go through the classroom services, which check ownership and write the audit log.

    def create_model(self, form: Any) -> Classroom | bool:
        try:
            return create_classroom(
                name=form.name.data or "",
                term=form.term.data or "",
                period=form.period.data if form.period.data is not None else -1,
                leaderboard_enabled=bool(form.leaderboard_enabled.data),
                teachers=[current_user],
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)

    def update_model(self, form: Any, model: Classroom) -> bool:
        try:
            update_classroom(
                classroom=model,
                name=form.name.data or "",
                term=form.term.data or "",
                period=form.period.data if form.period.data is not None else -1,
                leaderboard_enabled=bool(form.leaderboard_enabled.data),
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)
        return True

    def get_save_return_url(self, model: Classroom, is_created: bool = False) -> str:
        # A new classroom is empty: its next steps say how students get into it.
        if is_created:
            return self.get_url(".next_steps", id=model.id)
        return str(super().get_save_return_url(model, is_created))

    @expose("/next-steps/")
    def next_steps(self) -> str:
        """What to do with a classroom once it exists: share its join code, import a roster,
        assign a quest; each step's form opens with this classroom chosen."""
        classroom: Classroom = self.get_one(request.args.get("id", ""))
        return self.render(
            "admin_views/classroom_next_steps.html",
            classroom=classroom,
            join_url=url_for("accounts.join", _external=True),
            roster_url=url_for("roster_import.index", classroom=classroom.id),
            assign_url=url_for("assignment.create_view", classroom=classroom.id),
            details_url=self.get_url(".details_view", id=classroom.id),
            students=self.enrollment_count(classroom),
        )

    def delete_model(self, model: Classroom) -> bool:
        try:
            delete_classroom(classroom=model, by=current_user)
        except ServiceError as error:
            return self.report(error)
        return True

    @action(
        "new_join_code",
        _l("New join code"),
        _l("Replace the join codes of the selected classrooms?"),
    )
    def action_new_join_code(self, ids: list[str]) -> None:
        """Give each selected classroom (that the user owns) a new join code."""
        classrooms = self.in_scope(ids)
        for classroom in classrooms:
            regenerate_join_code(classroom=classroom, by=current_user)
        flash(
            ngettext(
                "%(num)d classroom has a new join code.",
                "%(num)d classrooms have new join codes.",
                len(classrooms),
            ),
            "success",
        )
