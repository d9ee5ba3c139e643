"""The teacher home at /admin: each classroom, what needs attention there, its roster and grades."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import abort, flash, redirect, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from admin_views.attempts import awaiting_review_filters
from admin_views.base import StaffOnlyMixin
from quest_platform.extensions import db
from quest_platform.models import Classroom, User, utcnow
from quest_platform.queries.activity import awaiting_review_counts, inactive_student_counts
from quest_platform.queries.classrooms import classrooms_visible_to, roster_of
from quest_platform.queries.gradebook import gradebook_of, gradebook_rows
from quest_platform.services import ServiceError
from quest_platform.services.accounts import reset_student_password
from quest_platform.services.classrooms import may_manage_classroom, regenerate_join_code
from quest_platform.spreadsheets import spreadsheet_safe

# A student with no attempt in this long counts as inactive on the teacher home.
INACTIVE_AFTER = timedelta(days=7)


class TeacherHomeView(StaffOnlyMixin, AdminIndexView):
    """A teacher's classrooms with their rosters; an admin sees every classroom."""

    @expose("/")
    def index(self) -> str:
        classrooms = classrooms_visible_to(current_user)
        ids = [classroom.id for classroom in classrooms]
        return self.render(
            "admin_views/home.html",
            classrooms=classrooms,
            rosters={classroom.id: roster_of(classroom) for classroom in classrooms},
            awaiting=awaiting_review_counts(ids),
            inactive=inactive_student_counts(ids, since=utcnow() - INACTIVE_AFTER),
            awaiting_filters=awaiting_review_filters,
        )

    @expose("/classroom/<int:classroom_id>/gradebook.csv")
    def gradebook(self, classroom_id: int) -> Response:
        """A classroom's gradebook as a CSV file Canvas can import (docs/gradebook.md)."""
        classroom = db.session.get(Classroom, classroom_id)
        # Another teacher's classroom is as missing as one that does not exist.
        if classroom is None or not may_manage_classroom(staff=current_user, classroom=classroom):
            abort(404)
        buffer = io.StringIO()
        rows = gradebook_rows(gradebook_of(classroom))
        csv.writer(buffer).writerows([[spreadsheet_safe(cell) for cell in row] for row in rows])
        filename = secure_filename(f"gradebook-{classroom.name}.csv") or "gradebook.csv"
        return Response(
            buffer.getvalue(),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f"attachment; filename={filename}",
                "Cache-Control": "no-store",
            },
        )

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
