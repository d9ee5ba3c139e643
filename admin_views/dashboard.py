"""The teacher home at /admin: each classroom, its join code and its roster."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.wrappers import Response

from admin_views.base import StaffOnlyMixin
from quest_platform.extensions import db
from quest_platform.models import Classroom, User
from quest_platform.queries.classrooms import classrooms_visible_to, roster_of
from quest_platform.services import ServiceError
from quest_platform.services.accounts import reset_student_password
from quest_platform.services.classrooms import regenerate_join_code


class TeacherHomeView(StaffOnlyMixin, AdminIndexView):
    """A teacher's classrooms with their rosters; an admin sees every classroom."""

    @expose("/")
    def index(self) -> str:
        classrooms = classrooms_visible_to(current_user)
        rosters = {classroom.id: roster_of(classroom) for classroom in classrooms}
        return self.render("admin_views/home.html", classrooms=classrooms, rosters=rosters)

    @expose("/students/<int:student_id>/reset-password", methods=["POST"])
    def reset_password(self, student_id: int) -> str | tuple[str, int]:
        """Give one student a one-time password and show it once, ready to print."""
        student = db.session.get(User, student_id) or abort(404)
        try:
            password = reset_student_password(student=student, by=current_user)
        except ServiceError as error:
            db.session.rollback()
            abort(error.status_code)
        return self.render("admin_views/one_time_password.html", student=student, password=password)

    @expose("/classrooms/<int:classroom_id>/join-code", methods=["POST"])
    def new_join_code(self, classroom_id: int) -> Response:
        """Replace a classroom's join code, for example after it was shared too widely."""
        classroom = db.session.get(Classroom, classroom_id) or abort(404)
        try:
            code = regenerate_join_code(classroom=classroom, by=current_user)
        except ServiceError as error:
            db.session.rollback()
            abort(error.status_code)
        flash(
            _("The new join code of %(name)s is %(code)s.", name=classroom.name, code=code),
            "success",
        )
        return redirect(url_for(".index"))
