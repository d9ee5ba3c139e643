"""The teacher home at /admin: each classroom, what needs attention there, its roster and grades."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from cachelib import SimpleCache
from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from admin_views.attempts import awaiting_review_filters
from admin_views.base import StaffOnlyMixin
from analytics.load import load_dataset
from analytics.model import shipped_model
from quest_platform.extensions import db
from quest_platform.models import Classroom, User, utcnow
from quest_platform.queries.activity import awaiting_review_counts, inactive_student_counts
from quest_platform.queries.analytics import (
    AssignedQuest,
    analytics_computed_at,
    quest_titles,
    quests_assigned_to,
    records_version,
    student_analytics,
    student_predictions,
)
from quest_platform.queries.classrooms import classrooms_visible_to, roster_of
from quest_platform.queries.gradebook import gradebook_of, gradebook_rows
from quest_platform.reports.dashboard import class_dashboard
from quest_platform.reports.document import Report
from quest_platform.reports.predictions import reasons_text, risk_label
from quest_platform.services import ServiceError
from quest_platform.services.accounts import reset_student_password
from quest_platform.services.analytics import refresh_analytics
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
        shown = chosen_classroom(classrooms, request.args.get("classroom"))
        quests = quests_assigned_to(shown.id) if shown is not None else []
        quest = chosen_quest(quests, request.args.get("quest"))
        return self.render(
            "admin_views/home.html",
            classrooms=classrooms,
            rosters={classroom.id: roster_of(classroom) for classroom in classrooms},
            awaiting=awaiting_review_counts(ids),
            inactive=inactive_student_counts(ids, since=utcnow() - INACTIVE_AFTER),
            awaiting_filters=awaiting_review_filters,
            shown=shown,
            quests=quests,
            quest=quest,
            dashboard=dashboard_of(shown, quest) if shown is not None else None,
            student_link=student_insights_url,
        )

    @expose("/students/<int:student_id>/insights")
    def student_insights(self, student_id: int) -> str:
        """A student's engagement and quest predictions, with reasons, in the viewer's classes."""
        student = db.session.get(User, student_id) or abort(404)
        enrolled = {enrollment.classroom_id for enrollment in student.enrollments}
        shared = [c for c in classrooms_visible_to(current_user) if c.id in enrolled]
        # Another teacher's student is as missing as one that does not exist.
        if not shared:
            abort(404)
        ids = [classroom.id for classroom in shared]
        refresh_if_stale(ids)
        predictions = student_predictions(student.id, ids)
        return self.render(
            "admin_views/student_insights.html",
            student=student,
            classrooms={classroom.id: classroom for classroom in shared},
            records=student_analytics(student.id, ids),
            predictions=predictions,
            quests=quest_titles([prediction.quest_id for prediction in predictions]),
            risk_label=risk_label,
            describe=describe_reasons,
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


# Analytics records older than this are recomputed before a page shows them.
STALE_AFTER = timedelta(minutes=10)
# Dashboards drawn in this process, by classroom, quest, language and the records' version.
_dashboards = SimpleCache(threshold=200, default_timeout=int(STALE_AFTER.total_seconds()))


def refresh_if_stale(classroom_ids: list[int]) -> None:
    """Recompute the analytics records of the classrooms whose records are old or missing."""
    oldest = utcnow() - STALE_AFTER
    stale = [
        classroom_id
        for classroom_id in classroom_ids
        if (computed := analytics_computed_at(classroom_id)) is None or computed < oldest
    ]
    if stale:
        refresh_analytics(classroom_ids=stale)


def chosen_classroom(classrooms: list[Classroom], asked: str | None) -> Classroom | None:
    """The classroom the dashboard shows: the one asked for (404 unless theirs), or the first."""
    if asked is None:
        return classrooms[0] if classrooms else None
    found = next((c for c in classrooms if str(c.id) == asked), None)
    return found or abort(404)


def chosen_quest(quests: list[AssignedQuest], asked: str | None) -> AssignedQuest | None:
    """The quest the dashboard shows: the one asked for (404 if not assigned), else the newest
    that has opened, else the first to open."""
    if asked is not None:
        return next((q for q in quests if str(q.id) == asked), None) or abort(404)
    opened = [quest for quest in quests if quest.opens_at <= utcnow()]
    return opened[-1] if opened else (quests[0] if quests else None)


def dashboard_of(classroom: Classroom, quest: AssignedQuest | None) -> Report:
    """The dashboard of a classroom and quest, drawn once per change of the records it shows.

    Drawing it refreshes the classroom's analytics records too, so the student pages and the
    dashboard agree.
    """
    key = ":".join(
        str(part)
        for part in (
            classroom.id,
            classroom.created_at.isoformat(),  # a classroom made again under an old id differs
            quest.id if quest else "-",
            get_locale(),
            *records_version(classroom.id),
            utcnow().date(),  # days since activity and time left change with the date
        )
    )
    report = _dashboards.get(key)
    if report is None:
        refresh_analytics(classroom_ids=[classroom.id])
        dataset = load_dataset(db.engine, classroom_ids=[classroom.id])
        report = class_dashboard(
            dataset,
            model=shipped_model(),
            classroom_id=classroom.id,
            quest_id=quest.id if quest else None,
        )
        _dashboards.set(key, report)
    return report


def student_insights_url(student_id: int) -> str:
    """Where a student's row on the dashboard leads: their engagement and predictions."""
    return url_for("admin.student_insights", student_id=student_id)


def describe_reasons(reasons: list[list[object]]) -> str:
    """A prediction's stored reasons in the viewer's language."""
    return reasons_text(tuple(tuple(reason) for reason in reasons)) or "—"
