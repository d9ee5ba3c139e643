"""Quest assignments in the admin: which quest each classroom works on, and between which dates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import ColumnElement, select
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import (
    assigned_quests,
    classroom_name,
    id_filter,
    labels_filter,
    moment,
    quest_title,
    shown,
    visible_classrooms,
)
from quest_platform.extensions import db
from quest_platform.models import Classroom, Quest, QuestAssignment, QuestStatus, utcnow
from quest_platform.queries.classrooms import classrooms_taught_by
from quest_platform.services import ServiceError
from quest_platform.services.quests import assign_quest, unassign_quest, update_assignment
from quest_platform.time_zones import LocalDateTimeField, in_zone, this_minute

STATUS_LABELS = {
    "upcoming": _l("Upcoming"),
    "open": _l("Open"),
    "closed": _l("Closed"),
}


def assignment_status(assignment: QuestAssignment, now: datetime) -> str:
    """Whether students cannot start the quest yet, can work on it, or are past its due date."""
    if now < assignment.opens_at:
        return "upcoming"
    return "open" if now < assignment.due_at else "closed"


def status_condition(value: str) -> ColumnElement[bool]:
    """The assignments in one status now, as a SQL condition."""
    now = utcnow()
    if value == "upcoming":
        return QuestAssignment.opens_at > now
    if value == "open":
        return (QuestAssignment.opens_at <= now) & (QuestAssignment.due_at > now)
    return QuestAssignment.due_at <= now


def opens_field(**kwargs: Any) -> LocalDateTimeField:
    """When students can start the quest, on the teacher's clock."""
    return LocalDateTimeField(
        _l("Opens"),
        validators=[InputRequired()],
        description=_l("Date and time when students can start."),
        **kwargs,
    )


def due_field() -> LocalDateTimeField:
    """When the quest is due, on the teacher's clock."""
    return LocalDateTimeField(
        _l("Due"),
        validators=[InputRequired()],
        description=_l("Date and time; after the opening."),
    )


class AssignmentForm(BaseForm):
    """A published quest for one of the teacher's classrooms, with its dates on the teacher's
    clock (kept in UTC); it opens now unless the teacher says otherwise."""

    quest = SelectField(
        _l("Quest"),
        coerce=int,
        validators=[InputRequired()],
        description=_l("Published quests, by any author."),
    )
    classroom = SelectField(_l("Classroom"), coerce=int, validators=[InputRequired()])
    opens_at = opens_field(default=this_minute)
    due_at = due_field()


class AssignmentDatesForm(BaseForm):
    """When an assigned quest opens and is due, on the teacher's clock (kept in UTC)."""

    opens_at = opens_field()
    due_at = due_field()


class AssignmentView(ScopedModelView):
    """The quests given to a teacher's classrooms (an admin's: all), with their dates.

    Creating, moving and removing an assignment go through the quest services, which check that
    the classroom is the teacher's, that the quest is published and the dates make sense, and
    write the audit log. An assignment whose quest students have attempted is never removed.
    """

    title_column = "quest"
    column_list = ["quest", "classroom", "opens_at", "due_at", "status"]
    column_labels = {
        "quest": _l("Quest"),
        "classroom": _l("Classroom"),
        "opens_at": in_zone(_l("Opens")),
        "due_at": in_zone(_l("Due")),
        "status": _l("Status"),
    }
    column_sortable_list = [
        ("quest", "quest.title"),
        ("classroom", "classroom.name"),
        "opens_at",
        "due_at",
    ]
    column_default_sort = [("opens_at", True), ("id", True)]
    column_searchable_list = ["quest.title", "classroom.name"]
    column_filters = [
        id_filter(QuestAssignment.classroom_id, _l("Classroom"), "classroom", visible_classrooms),
        id_filter(QuestAssignment.quest_id, _l("Quest"), "quest", assigned_quests),
        labels_filter(
            QuestAssignment.opens_at, _l("Status"), "status", STATUS_LABELS, status_condition
        ),
    ]
    column_formatters = {
        "quest": quest_title,
        "classroom": classroom_name,
        "opens_at": moment(),
        "due_at": moment(),
        "status": shown(
            lambda assignment: str(STATUS_LABELS[assignment_status(assignment, utcnow())])
        ),
    }
    # Removing an assignment is refused once students have worked on it: one at a time, with
    # the reason, from its details page.
    action_disallowed_list = ["delete"]

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return QuestAssignment.classroom_id.in_(classrooms_taught_by(current_user.id))

    def record_title(self, model: QuestAssignment) -> str:
        return f"{model.quest.title} — {model.classroom.name}"

    # Choices, for the current user

    def published_quest_choices(self) -> list[tuple[str, str]]:
        quests = db.session.execute(
            select(Quest.id, Quest.title)
            .where(Quest.status == QuestStatus.PUBLISHED.value)
            .order_by(Quest.title, Quest.id)
        )
        return [(str(quest_id), title) for quest_id, title in quests]

    # Forms: our own, with choices limited to what the current user may use

    def get_create_form(self) -> type[AssignmentForm]:
        return AssignmentForm

    def get_edit_form(self) -> type[AssignmentDatesForm]:
        return AssignmentDatesForm

    def create_form(self, obj: Any = None) -> AssignmentForm:
        """The assignment form; ``?quest=<id>`` and ``?classroom=<id>`` choose them at first."""
        quests = self.published_quest_choices()
        classrooms = self.classroom_choices()
        formdata = get_form_data()
        form = AssignmentForm(formdata, obj=obj)
        form.quest.choices = [SelectChoice(*choice) for choice in quests]
        form.classroom.choices = [SelectChoice(*choice) for choice in classrooms]
        if formdata is None:
            # Only a choice the list offers: any other id is no one's business here.
            for field, choices in ((form.quest, quests), (form.classroom, classrooms)):
                chosen = request.args.get(field.name, "")
                if chosen in {value for value, _label in choices}:
                    field.data = int(chosen)
        return form

    def edit_form(self, obj: Any = None) -> AssignmentDatesForm:
        return AssignmentDatesForm(get_form_data(), obj=obj)

    # Changes go through the quest services, which check ownership and write the audit log.

    def create_model(self, form: AssignmentForm) -> QuestAssignment | bool:
        quest = db.session.get(Quest, form.quest.data)
        classroom = db.session.get(Classroom, form.classroom.data)
        if quest is None or classroom is None:
            error = ServiceError(_("Choose a quest and a classroom."), field="quest")
            return self.report(error, form)
        try:
            return assign_quest(
                quest=quest,
                classroom=classroom,
                opens_at=form.opens_at.data,
                due_at=form.due_at.data,
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)

    def update_model(self, form: AssignmentDatesForm, model: QuestAssignment) -> bool:
        try:
            update_assignment(
                assignment=model,
                opens_at=form.opens_at.data,
                due_at=form.due_at.data,
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)
        return True

    def delete_model(self, model: QuestAssignment) -> bool:
        try:
            unassign_quest(assignment=model, by=current_user)
        except ServiceError as error:
            return self.report(error)
        return True
