"""The teacher home at /admin: each classroom, what needs attention there, its roster and grades."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from admin_views.attempts import awaiting_review_filters
from admin_views.base import StaffOnlyMixin
from quest_platform.extensions import db
from quest_platform.i18n import page_language
from quest_platform.models import Classroom, User, utcnow
from quest_platform.queries.activity import (
    awaiting_review_counts,
    inactive_student_counts,
    last_seen,
)
from quest_platform.queries.analytics import (
    AssignedQuest,
    PredictionBasis,
    analytics_computed_at,
    dashboard_charts,
    latest_prediction_model,
    prediction_basis,
    prediction_models_by_id,
    quest_titles,
    quests_assigned_to,
    student_analytics,
    student_predictions,
)
from quest_platform.queries.classrooms import classrooms_visible_to, roster_of
from quest_platform.queries.gradebook import gradebook_of, gradebook_rows
from quest_platform.reports.dashboard import class_dashboard
from quest_platform.reports.document import Report, chart_from_document
from quest_platform.reports.predictions import (
    chance_text,
    confidence_summary,
    model_sentence,
    newer_model_sentence,
    reasons_text,
    risk_label,
)
from quest_platform.services import ServiceError
from quest_platform.services.accounts import may_manage_student, reset_student_password
from quest_platform.services.analytics import refresh_analytics
from quest_platform.services.classrooms import may_manage_classroom, regenerate_join_code
from quest_platform.spreadsheets import spreadsheet_safe

# A student with no attempt in this long counts as inactive on the teacher home.
INACTIVE_AFTER = timedelta(days=7)


class TeacherHomeView(StaffOnlyMixin, AdminIndexView):
    """A teacher's classrooms, one at a time: newest first, each with what needs attention, its
    dashboard and its roster. An admin sees every classroom."""

    @expose("/")
    def index(self) -> str:
        """The classroom named in the address (``?classroom=``, so it can be bookmarked), or the
        newest; a list of every classroom leads to the others."""
        classrooms = newest_first(classrooms_visible_to(current_user))
        shown = chosen_classroom(classrooms, request.args.get("classroom"))
        quests = quests_assigned_to(shown.id) if shown is not None else []
        quest = chosen_quest(quests, request.args.get("quest"))
        dashboard = dashboard_of(shown, quest) if shown is not None else None
        roster = roster_of(shown) if shown is not None else []
        inactive = (
            inactive_student_counts([shown.id], since=utcnow() - INACTIVE_AFTER)
            if shown is not None
            else {}
        )
        return self.render(
            "admin_views/home.html",
            classrooms=classrooms,
            roster=roster,
            seen=last_seen([student.id for student in roster]),
            awaiting=awaiting_review_counts([classroom.id for classroom in classrooms]),
            inactive=inactive,
            awaiting_filters=awaiting_review_filters,
            shown=shown,
            quests=quests,
            quest=quest,
            dashboard=dashboard,
            about_predictions=about_predictions(
                prediction_basis([shown.id]) if shown is not None else {}, with_confidence=True
            ),
            age=age_of,
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
        predictions = student_predictions(student.id, ids)
        return self.render(
            "admin_views/student_insights.html",
            student=student,
            classrooms={classroom.id: classroom for classroom in shared},
            computed={classroom.id: analytics_computed_at(classroom.id) for classroom in shared},
            about_predictions=about_predictions(prediction_basis(ids), with_confidence=False),
            age=age_of,
            records=student_analytics(student.id, ids),
            predictions=predictions,
            quests=quest_titles([prediction.quest_id for prediction in predictions]),
            risk_label=risk_label,
            chance=chance_text,
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

    @expose("/students/<int:student_id>/reset-password", methods=["GET", "POST"])
    def reset_password(self, student_id: int) -> str | tuple[str, int]:
        """Give one student a one-time password and show it once, ready to print; asked first,
        as it signs the student out everywhere (a request without ``confirmed`` only asks)."""
        student = db.session.get(User, student_id) or abort(404)
        if not may_manage_student(staff=current_user, student=student):
            abort(403)
        if request.method == "GET" or request.form.get("confirmed") != "yes":
            return self.render(
                "admin_views/confirm.html",
                heading=_("Reset the password of %(name)s?", name=student.display_name),
                question=_(
                    "%(name)s gets a one-time password, shown to you once, and is signed out "
                    "everywhere. Their old password stops working.",
                    name=student.display_name,
                ),
                details=[],
                action_url=url_for(".reset_password", student_id=student.id),
                carried=[],
                confirm_label=_("Reset the password"),
                cancel_url=url_for(".index", classroom=request.args.get("classroom", type=int)),
            )
        try:
            password = reset_student_password(student=student, by=current_user)
        except ServiceError as error:
            abort(error.status_code)
        return self.render("admin_views/one_time_password.html", student=student, password=password)

    @expose("/classrooms/<int:classroom_id>/join-code", methods=["POST"])
    def new_join_code(self, classroom_id: int) -> Response:
        """Replace a classroom's join code, for example after it was shared too widely."""
        classroom = db.session.get(Classroom, classroom_id) or abort(404)
        try:
            code = regenerate_join_code(classroom=classroom, by=current_user)
        except ServiceError as error:
            abort(error.status_code)
        flash(
            _("The new join code of %(name)s is %(code)s.", name=classroom.name, code=code),
            "success",
        )
        return redirect(url_for(".index", classroom=classroom.id))

    @expose("/classrooms/<int:classroom_id>/analytics", methods=["POST"])
    def refresh_figures(self, classroom_id: int) -> Response:
        """Compute a classroom's analytics afresh: its dashboard, its students' figures and
        predictions. Back to the dashboard (with the quest it showed) or the student's page."""
        classroom = db.session.get(Classroom, classroom_id)
        # Another teacher's classroom is as missing as one that does not exist.
        if classroom is None or not may_manage_classroom(staff=current_user, classroom=classroom):
            abort(404)
        refresh_analytics(classroom=classroom)
        flash(_("The figures of %(name)s are up to date.", name=classroom.name), "success")
        student = request.form.get("student", type=int)
        if student is not None:
            return redirect(url_for(".student_insights", student_id=student))
        quest = request.form.get("quest", type=int)
        return redirect(url_for(".index", classroom=classroom.id, quest=quest))


def newest_first(classrooms: list[Classroom]) -> list[Classroom]:
    """``classrooms``, the most recently created first: the one a teacher just set up."""
    return sorted(
        classrooms, key=lambda classroom: (classroom.created_at, classroom.id), reverse=True
    )


def chosen_classroom(classrooms: list[Classroom], asked: str | None) -> Classroom | None:
    """The classroom the home shows: the one asked for (404 unless theirs), or the first."""
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


def dashboard_of(classroom: Classroom, quest: AssignedQuest | None) -> Report | None:
    """The dashboard of a classroom and quest in the viewer's language, as last computed; None
    if the classroom's analytics were never computed."""
    stored = dashboard_charts(
        classroom.id, quest_id=quest.id if quest else None, language=page_language()
    )
    if not stored:
        return None
    notes = []
    if quest is not None and all(chart.quest_id != quest.id for chart in stored):
        notes.append(
            _(
                "%(quest)s was given to this classroom after these figures were computed: "
                "refresh them to see its charts.",
                quest=quest.title,
            )
        )
    return class_dashboard(
        classroom=classroom.name,
        computed_at=stored[0].computed_at,
        charts=[chart_from_document(chart.chart) for chart in stored],
        notes=notes,
    )


def about_predictions(
    basis: dict[int, PredictionBasis], *, with_confidence: bool
) -> dict[int, list[str]]:
    """What stands behind each classroom's predictions, in sentences, by classroom: the model
    that made them, a newer one if there is, and (``with_confidence``) how sure they are."""
    if not basis:
        return {}
    fitted_ids = {made.model_id for made in basis.values() if made.model_id is not None}
    fitted = prediction_models_by_id(fitted_ids)
    latest = latest_prediction_model()
    about = {}
    for classroom_id, made in basis.items():
        model = fitted.get(made.model_id) if made.model_id is not None else None
        sentences = [model_sentence(model)]
        if latest is not None and (model is None or latest.version > model.version):
            sentences.append(newer_model_sentence(latest))
        if with_confidence:
            sentences.append(confidence_summary(made.confidence))
        about[classroom_id] = sentences
    return about


def age_of(moment: datetime) -> timedelta:
    """From now to ``moment``, negative for a moment past: "3 hours ago" once in words."""
    return moment - utcnow()


def student_insights_url(student_id: int) -> str:
    """Where a student's row on the dashboard leads: their engagement and predictions."""
    return url_for("admin.student_insights", student_id=student_id)


def describe_reasons(reasons: list[list[object]]) -> str:
    """A prediction's stored reasons in the viewer's language."""
    return reasons_text(tuple(tuple(reason) for reason in reasons)) or "—"
