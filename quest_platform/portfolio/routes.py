"""Routes of the portfolio: the student's own page with its share panel, the link made and
stopped, the Markdown post, and the shared page (with its screenshots) that opens signed out.

The shared page is found by its link's token alone: an unknown or revoked token is a 404, as is
any screenshot that is not part of its student's work. It names no reviewer, and of the
student's account it shows only their display name.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_security import current_user
from werkzeug.wrappers import Response

from quest_platform.extensions import limiter
from quest_platform.labels import OUTCOME_LABELS
from quest_platform.models import User, utcnow
from quest_platform.portal.routes import screenshot_response, student_only
from quest_platform.queries.portfolios import (
    portfolio_of,
    portfolio_screenshot,
    student_for_link,
    working_link,
)
from quest_platform.services import ServiceError
from quest_platform.services.portfolios import (
    portfolio_post,
    revoke_portfolio_link,
    share_portfolio,
)
from quest_platform.time_zones import local_date

bp = Blueprint("portfolio", __name__, url_prefix="/portfolio")
# Requests one address may make to shared portfolios (pages and their screenshots together):
# a page asks once for itself and once per screenshot. Guessing a token is hopeless anyway
# (256 random bits); the budget keeps a scraper from hammering the database.
DEFAULT_RATE_LIMIT = "120 per minute; 1000 per hour"


def shared_budget() -> str:
    return str(current_app.config.get("PORTFOLIO_RATE_LIMIT", DEFAULT_RATE_LIMIT))


throttled_shared = limiter.shared_limit(shared_budget, scope="portfolio-shared")


@bp.get("")
@student_only
def index() -> str:
    """The student's portfolio, with the panel that shares it or keeps it private."""
    return render_own(new_link=None)


@bp.post("/link")
@student_only
def share() -> Response | tuple[str, int]:
    """Make a new link (the one that worked stops) and show it on the page, this once."""
    try:
        token = share_portfolio(student=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for(".index"))
    new_link = url_for(".shared", token=token, _external=True)
    return render_own(new_link=new_link), 200


@bp.post("/link/revoke")
@student_only
def revoke() -> Response:
    """Stop the working link: the portfolio is private again."""
    try:
        revoke_portfolio_link(student=current_user)
    except ServiceError as error:
        flash(error.message, "info")
    else:
        flash(_("Your portfolio is private again: its link no longer opens it."), "success")
    return redirect(url_for(".index"))


@bp.get("/export.md")
@student_only
def export() -> Response:
    """The portfolio as a Markdown post for a GitHub Pages blog, downloaded."""
    today = local_date(utcnow())
    post = portfolio_post(portfolio=portfolio_of(student=current_user, public=True), today=today)
    response = Response(post, mimetype="text/markdown")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="portfolio-{today.isoformat()}.md"'
    )
    return response


@bp.get("/shared/<token>")
@throttled_shared
def shared(token: str) -> Response:
    """A shared portfolio, for anyone with its link, signed in or not."""
    student = student_or_404(token)
    response = make_response(
        render_template(
            "portfolio/shared.html",
            portfolio=portfolio_of(student=student, public=True),
            screenshot_url=lambda evidence_id: url_for(
                ".shared_evidence", token=token, evidence_id=evidence_id
            ),
            outcome_labels=OUTCOME_LABELS,
        )
    )
    return private_response(response)


@bp.get("/shared/<token>/evidence/<int:evidence_id>")
@throttled_shared
def shared_evidence(token: str, evidence_id: int) -> Response:
    """A screenshot of a shared portfolio's student; any other is not found."""
    screenshot = portfolio_screenshot(student=student_or_404(token), evidence_id=evidence_id)
    if screenshot is None:
        abort(404)
    return private_response(screenshot_response(screenshot))


def student_or_404(token: str) -> User:
    """The student whose working link ``token`` is; 404 for an unknown or revoked one."""
    student = student_for_link(token)
    if student is None:
        abort(404)
    return student


def private_response(response: Response) -> Response:
    """A shared portfolio's response: kept by no cache, its address sent to no other site
    (the token is in it), and left out of search engines."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def render_own(*, new_link: str | None) -> str:
    """The student's own page; ``new_link``: the link just made, shown this once."""
    return render_template(
        "portfolio/index.html",
        portfolio=portfolio_of(student=current_user),
        link=working_link(student=current_user),
        new_link=new_link,
        screenshot_url=lambda evidence_id: url_for("portal.evidence", evidence_id=evidence_id),
        outcome_labels=OUTCOME_LABELS,
    )
