"""Routes of the account pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_security import auth_required, current_user, login_user
from werkzeug.wrappers import Response

from quest_platform.accounts.forms import GithubUsernameForm, JoinForm, ProfileForm
from quest_platform.extensions import db
from quest_platform.labels import PROGRESS_LABELS
from quest_platform.queries.accounts import classrooms_of
from quest_platform.queries.achievements import achievements_of
from quest_platform.queries.progress import points_of, quest_map_for
from quest_platform.services import ServiceError
from quest_platform.services.accounts import register_student, update_preferences
from quest_platform.services.github import link_github_username
from quest_platform.throttles import throttled_join

bp = Blueprint("accounts", __name__, url_prefix="/accounts")


@bp.route("/join", methods=["GET", "POST"])
@throttled_join
def join() -> Response | str | tuple[str, int]:
    """A student registers with a classroom join code and is signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.profile"))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            student = register_student(
                join_code=form.join_code.data,
                username=form.username.data,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        except ServiceError as error:
            form[error.field or "join_code"].errors.append(error.message)
        else:
            login_user(student, authn_via=["password"])
            db.session.commit()
            flash(
                _("Welcome, %(name)s! Your account is ready.", name=student.display_name), "success"
            )
            return redirect(url_for("portal.quest_map"))
    status = 422 if form.errors else 200
    return render_template("accounts/join.html", form=form), status


@bp.route("/profile", methods=["GET", "POST"])
@auth_required("session")
def profile() -> Response | str | tuple[str, int]:
    """A user's profile: their classrooms, a student's progress, points and achievements, and
    the preferences they can change."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            update_preferences(
                user=current_user,
                display_name=form.display_name.data,
                pseudonym=form.pseudonym.data,
                language=form.language.data,
                time_zone=form.time_zone.data,
                theme=form.theme.data,
                reduced_motion=form.reduced_motion.data,
                leaderboard_opt_in=form.leaderboard_opt_in.data,
            )
        except ServiceError as error:
            form[error.field or "display_name"].errors.append(error.message)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_profile(form=form, github_form=github_username_form())


@bp.post("/profile/github")
@auth_required("session")
def github_username() -> Response | tuple[str, int]:
    """A student links their GitHub login (or removes it, sent empty)."""
    if not current_user.is_student:
        abort(403)
    form = GithubUsernameForm()
    if form.validate_on_submit():
        try:
            link_github_username(
                user=current_user, github_username=form.github_username.data or "", by=current_user
            )
        except ServiceError as error:
            form.github_username.errors.append(error.message)
        else:
            flash(_("Your GitHub username is saved."), "success")
            return redirect(url_for("accounts.profile", _anchor="github-title"))
    # The profile form shows what is saved, not this form's fields.
    return render_profile(form=ProfileForm(formdata=None, obj=current_user), github_form=form)


def github_username_form() -> GithubUsernameForm:
    """The GitHub username form, showing the login the user linked."""
    return GithubUsernameForm(
        formdata=None, data={"github_username": current_user.github_username or ""}
    )


def render_profile(*, form: ProfileForm, github_form: GithubUsernameForm) -> tuple[str, int]:
    """The profile page with its two forms (422 when either comes back with errors)."""
    status = 422 if form.errors or github_form.errors else 200
    student = current_user.is_student
    return render_template(
        "accounts/profile.html",
        form=form,
        github_form=github_form,
        classrooms=classrooms_of(current_user),
        quests=quest_map_for(student=current_user) if student else [],
        points=points_of(student=current_user) if student else 0,
        achievements=achievements_of(student=current_user) if student else [],
        progress_labels=PROGRESS_LABELS,
    ), status
