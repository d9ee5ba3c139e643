"""Teams in the admin: form a classroom's teams (by hand, at random or balanced by progress),
rename them, name a scrum master, add and move students; each team's page shows its members'
progress and who was in it when.

Every change goes through services/teams.py, which checks the classroom is the teacher's and
writes the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from sqlalchemy.orm import Query, selectinload
from werkzeug.wrappers import Response
from wtforms import IntegerField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import NumberInput

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import id_filter, moment, person
from admin_views.quests import unprocessable_if_refused
from admin_views.time_extensions import with_prompt
from quest_platform.extensions import db
from quest_platform.models import MAX_TEAM_SIZE, TEAM_SIZE, Classroom, Team, TeamMembership, User
from quest_platform.models.teams import MAX_TEAM_NAME_LENGTH
from quest_platform.queries.classrooms import roster_of
from quest_platform.queries.teams import (
    TeamBoard,
    current_members,
    team_board,
    teams_managed_by,
    teams_of,
    unplaced_counts,
)
from quest_platform.services import ServiceError
from quest_platform.services.teams import (
    MIN_TEAM_SIZE,
    Forming,
    add_students,
    create_team,
    delete_team,
    form_teams,
    place_student,
    rename_team,
    set_scrum_master,
)
from quest_platform.time_zones import in_zone
from quest_platform.urls import record_id

FORMING_LABELS = {
    Forming.RANDOM: _l("At random"),
    Forming.BALANCED: _l("Balanced by progress: each team gets students from the top and bottom"),
}


class NewTeamForm(BaseForm):
    """A classroom and the new team's name; students are added on the team's page."""

    classroom = SelectField(_l("Classroom"), validators=[InputRequired()])
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=MAX_TEAM_NAME_LENGTH)],
        render_kw={"maxlength": MAX_TEAM_NAME_LENGTH, "autocomplete": "off"},
    )


class EditTeamForm(BaseForm):
    """A team's name and scrum master (one of its members, or nobody)."""

    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=MAX_TEAM_NAME_LENGTH)],
        render_kw={"maxlength": MAX_TEAM_NAME_LENGTH, "autocomplete": "off"},
    )
    scrum_master = SelectField(
        _l("Scrum master"),
        description=_l("Leads the team's stand-ups and speaks for it; one of its members."),
    )


class FormTeamsForm(BaseForm):
    """Which classroom, how students are dealt into teams, and about how many per team."""

    classroom = SelectField(_l("Classroom"), validators=[InputRequired()])
    method = RadioField(
        _l("How"),
        choices=[SelectChoice(method.value, label) for method, label in FORMING_LABELS.items()],
        default=Forming.BALANCED.value,
        validators=[InputRequired()],
    )
    size = IntegerField(
        _l("Students per team"),
        default=TEAM_SIZE,
        validators=[
            InputRequired(),
            NumberRange(
                min=MIN_TEAM_SIZE,
                max=MAX_TEAM_SIZE,
                message=_l("Teams have between 2 and 12 students."),
            ),
        ],
        widget=NumberInput(step=1, min=MIN_TEAM_SIZE, max=MAX_TEAM_SIZE),
        description=_l("About this many: teams differ by one student at most."),
    )


def team_classrooms(view: Any) -> list[tuple[str, str]]:
    """The classrooms of the current user, as choices of the list's filter."""
    return list(view.classroom_choices())


class TeamView(ScopedModelView):
    """The teams of a teacher's classrooms (an administrator's: all of them)."""

    details_template = "admin_views/team/details.html"
    list_template = "admin_views/team/list.html"
    column_auto_select_related = False

    title_column = "name"
    column_list = ["name", "classroom", "scrum_master", "members", "created_at"]
    column_details_list = ["name", "classroom", "scrum_master", "created_at"]
    column_export_list = ["name", "classroom", "scrum_master", "members"]
    column_labels = {
        "name": _l("Team"),
        "classroom": _l("Classroom"),
        "scrum_master": _l("Scrum master"),
        "members": _l("Members"),
        "created_at": in_zone(_l("Formed")),
    }
    column_sortable_list = ["name", "created_at"]
    column_default_sort = [("name", False)]
    column_searchable_list = ["name"]
    column_filters = [id_filter(Team.classroom_id, _l("Classroom"), "classroom", team_classrooms)]
    column_formatters = {
        "classroom": lambda view, context, team, name: team.classroom.name,
        "scrum_master": person(_l("Not named yet")),
        "members": lambda view, context, team, name: str(
            sum(membership.is_current for membership in team.memberships)
        ),
        "created_at": moment(),
    }
    column_formatters_export = {
        "classroom": lambda view, context, team, name: team.classroom.name,
        "scrum_master": person(""),
        "members": lambda view, context, team, name: ", ".join(
            membership.student.display_name
            for membership in team.memberships
            if membership.is_current
        ),
    }

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return Team.id.in_(teams_managed_by(current_user))

    def get_query(self) -> Query[Any]:
        return (
            super()
            .get_query()
            .options(
                selectinload(Team.classroom),
                selectinload(Team.scrum_master),
                selectinload(Team.memberships).selectinload(TeamMembership.student),
            )
        )

    def board(self, team: Team) -> TeamBoard:
        """What the team's page shows: members, their progress, the history."""
        return team_board(team)

    def others_of(self, team: Team) -> list[tuple[User, Team | None]]:
        """The classroom's students not in ``team``, each with the team they are in now."""
        teams = {
            membership.student_id: other
            for other in teams_of(team.classroom_id)
            if other.id != team.id
            for membership in current_members(other)
        }
        in_team = {membership.student_id for membership in current_members(team)}
        return [
            (student, teams.get(student.id))
            for student in roster_of(team.classroom)
            if student.id not in in_team and student.active
        ]

    def move_choices(self, team: Team) -> list[tuple[str, str]]:
        """Where a member of ``team`` can be moved: the classroom's other teams, or no team."""
        return [
            ("", _("No team")),
            *(
                (str(other.id), other.name)
                for other in teams_of(team.classroom_id)
                if other.id != team.id
            ),
        ]

    # Create: a classroom and a name

    def get_create_form(self) -> type[NewTeamForm]:
        return NewTeamForm

    def create_form(self, obj: Any = None) -> NewTeamForm:
        formdata = get_form_data()
        choices = self.classroom_choices()
        prefill = None
        if formdata is None and request.args.get("classroom") in {key for key, _ in choices}:
            prefill = {"classroom": request.args["classroom"]}
        form = NewTeamForm(formdata, obj=obj, data=prefill)
        form.classroom.choices = with_prompt(_("Choose a classroom"), choices)
        return form

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().create_view())

    def create_model(self, form: NewTeamForm) -> Team | bool:
        classroom = self.classroom_in_scope(form.classroom.data)
        if classroom is None:
            return self.report(ServiceError(_("Choose a classroom."), field="classroom"), form)
        try:
            return create_team(classroom=classroom, name=form.name.data or "", by=current_user)
        except ServiceError as error:
            return self.report(error, form)

    def get_save_return_url(self, model: Team, is_created: bool = False) -> str:
        # A new team is empty: its page is where students are added.
        return self.get_url(".details_view", id=model.id)

    # Edit: the name and the scrum master

    def get_edit_form(self) -> type[EditTeamForm]:
        return EditTeamForm

    def edit_form(self, obj: Team | None = None) -> EditTeamForm:
        formdata = get_form_data()
        data = None
        if obj is not None and formdata is None:
            data = {"name": obj.name, "scrum_master": str(obj.scrum_master_id or "")}
        form = EditTeamForm(formdata, data=data)
        members = current_members(obj) if obj is not None else []
        form.scrum_master.choices = [
            SelectChoice("", _("Nobody yet")),
            *(
                SelectChoice(str(membership.student_id), membership.student.display_name)
                for membership in sorted(members, key=lambda m: m.student.display_name.lower())
            ),
        ]
        return form

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().edit_view())

    def update_model(self, form: EditTeamForm, model: Team) -> bool:
        chosen = form.scrum_master.data or ""
        try:
            if form.name.data != model.name:
                rename_team(team=model, name=form.name.data or "", by=current_user)
            scrum_master = record_id(chosen)
            if scrum_master != model.scrum_master_id:
                set_scrum_master(team=model, student_id=scrum_master, by=current_user)
        except ServiceError as error:
            return self.report(error, form)
        return True

    def delete_model(self, model: Team) -> bool:
        try:
            delete_team(team=model, by=current_user)
        except ServiceError as error:
            return self.report(error)
        return True

    # Students in and out of a team

    def classroom_in_scope(self, value: Any) -> Classroom | None:
        """The classroom whose id is ``value``, if the current user may manage it."""
        allowed = {key for key, _label in self.classroom_choices()}
        if str(value) not in allowed:
            return None
        return db.session.get(Classroom, int(value))

    def team_from_form(self) -> Team:
        """The team named by the posted ``team`` field, in scope (404 otherwise)."""
        return self.get_one(request.form.get("team", ""))

    @expose("/add/", methods=("POST",))
    def add_view(self) -> Response | tuple[str, int]:
        """Add the chosen students to a team (each leaves the team they were in)."""
        team = self.team_from_form()
        chosen = {key for value in request.form.getlist("student") if (key := record_id(value))}
        try:
            added = add_students(team=team, student_ids=sorted(chosen), by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(
                ngettext(
                    "%(num)d student added to %(team)s.",
                    "%(num)d students added to %(team)s.",
                    len(added),
                    team=team.name,
                ),
                "success",
            )
        return redirect(self.get_url(".details_view", id=team.id))

    @expose("/move/", methods=("POST",))
    def move_view(self) -> Response:
        """Move one member of a team to another team of its classroom, or out of any team."""
        team = self.team_from_form()
        members = {str(member.student_id): member.student for member in current_members(team)}
        student = members.get(request.form.get("student", ""))
        target_value = request.form.get("to", "")
        targets = {str(other.id): other for other in teams_of(team.classroom_id)}
        target = targets.get(target_value) if target_value != str(team.id) else None
        if student is None or (target_value and target is None):
            flash(_("Choose a member of this team and a team of its classroom."), "error")
            return redirect(self.get_url(".details_view", id=team.id))
        try:
            place_student(student=student, classroom=team.classroom, team=target, by=current_user)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash(
                _("%(student)s moved to %(team)s.", student=student.display_name, team=target.name)
                if target is not None
                else _("%(student)s is in no team now.", student=student.display_name),
                "success",
            )
        return redirect(self.get_url(".details_view", id=team.id))

    # Forming a classroom's teams at once

    @expose("/form/", methods=("GET", "POST"))
    def form_view(self) -> Response | str | tuple[str, int]:
        """Put a classroom's students who have no team into new teams, at random or balanced."""
        choices = self.classroom_choices()
        formdata = get_form_data()
        prefill = None
        if formdata is None and request.args.get("classroom") in {key for key, _ in choices}:
            prefill = {"classroom": request.args["classroom"]}
        form = FormTeamsForm(formdata, data=prefill)
        form.classroom.choices = with_prompt(_("Choose a classroom"), choices)
        counts = unplaced_counts([int(key) for key, _label in choices])
        waiting = {str(classroom_id): count for classroom_id, count in counts.items()}
        if request.method == "POST" and form.validate():
            classroom = self.classroom_in_scope(form.classroom.data)
            if classroom is None:
                form.classroom.errors = [_("Choose a classroom.")]
            else:
                try:
                    teams = form_teams(
                        classroom=classroom,
                        method=Forming(form.method.data),
                        size=form.size.data,
                        by=current_user,
                    )
                except ServiceError as error:
                    self.report(error, form)
                else:
                    if teams:
                        flash(
                            ngettext(
                                "%(num)d team formed in %(classroom)s.",
                                "%(num)d teams formed in %(classroom)s.",
                                len(teams),
                                classroom=classroom.name,
                            ),
                            "success",
                        )
                    else:
                        flash(
                            _(
                                "Every student of %(classroom)s is already in a team.",
                                classroom=classroom.name,
                            ),
                            "info",
                        )
                    return redirect(self.get_url(".index_view", flt0_classroom=classroom.id))
        page = self.render(
            "admin_views/team/form.html",
            form=form,
            classrooms=choices,
            waiting=waiting,
            return_url=self.get_url(".index_view"),
        )
        return unprocessable_if_refused(page)
