"""Routes of the public pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_security import auth_required, current_user
from werkzeug.wrappers import Response

from quest_platform.pages.forms import LanguageForm
from quest_platform.services.accounts import set_language
from quest_platform.services.notebooks import lesson_image as stored_lesson_image
from quest_platform.urls import safe_next

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """The welcome page: what the platform is, and the way in."""
    return render_template("pages/home.html")


@bp.get("/start")
@auth_required("session")
def start() -> Response:
    """Send a signed-in user to their own starting page."""
    if current_user.is_staff:
        return redirect(url_for("admin.index"))
    if current_user.is_student:
        return redirect(url_for("portal.quest_map"))
    return redirect(url_for("accounts.profile"))


@bp.post("/language")
def language() -> Response:
    """Switch the interface language for this visit (and for the account, if signed in)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        set_language(user=current_user, language=form.language.data)
    else:
        session["language"] = form.language.data
    return redirect(safe_next(form.next.data or request.referrer))


@bp.get("/lesson-images/<stored_name>")
def lesson_image(stored_name: str) -> Response:
    """An image of a quest's lessons. Open to anyone who has its address: the address is
    random, and students' own front ends (other sites, signed out) show lessons too."""
    found = stored_lesson_image(stored_name)
    if found is None:
        abort(404)
    image, path = found
    response = send_file(path, mimetype=image.content_type, conditional=True, max_age=0)
    # A stored image never changes: a new image gets a new name.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    return response
