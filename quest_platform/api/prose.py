"""The API reference's prose, marked for translation so the reference page speaks the reader's
language.

The OpenAPI document (/api/v1/openapi.json) stays in English for programs: its summaries and
descriptions come from the API's docstrings, schemas and Flask-Smorest's own words. Each is listed
here, its whitespace folded to single spaces, so that `make translations` extracts it; a test
checks this list against the document, so a changed docstring cannot go untranslated.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 (gettext's name for "mark, do not translate yet")
    """Mark ``text`` for extraction and return it unchanged."""
    return text


# Resource titles (from the OpenAPI tags), then every summary and description in the document.
PROSE = (
    N_("Session"),
    N_("Tokens"),
    N_("Me"),
    N_("Classrooms"),
    N_("Teaching"),
    N_("Quests"),
    N_("Leaderboards"),
    N_("Course"),
    N_("A personal API token."),
    N_("Null: the browser's."),
    N_("An IANA name (America/Chicago). Null: the browser's."),
    N_("The points a quiz needs to pass (null for other stages)."),
    N_("The HTTP status."),
    N_("What went wrong, briefly."),
    N_("What to do about it."),
    N_("For bad input: each field's problems, by field name."),
    N_("Total number of items."),
    N_("Total number of pages."),
    N_("First available page number."),
    N_("Last available page number."),
    N_("Current page number."),
    N_("Previous page number."),
    N_("Next page number."),
    N_("A one-time password: choose a new one on the platform first."),
    N_("The token's first letters."),
    N_("Neither expired nor revoked."),
    N_("Of finishing on time."),
    N_("How much data stands behind it: little_data (a first guess), fair or good."),
    N_(
        "The model that made it, learned from this school's records. Null: the starting model, "
        "learned from simulated classes."
    ),
    N_("The position to do next."),
    N_("Markdown."),
    N_("Sanitized HTML."),
    N_(
        "Send it back with your answer (`opened`): the server then times your try from when "
        "it gave you this stage."
    ),
    N_(
        "The stage's `opened` value from when you fetched the quest: your try is timed from "
        "then. Without it (or when it is too old) it is timed from now."
    ),
    N_("The pseudonym."),
    N_("The username."),
    N_("The display name."),
    N_("Unprocessable Entity"),
    N_("Default error response"),
    N_("OK"),
    N_(
        "Sign in: sets the session cookie. A few tries a minute per address and per account, "
        "shared with every other way of signing in."
    ),
    N_("The signed-in user."),
    N_("No Content"),
    N_("Sign out: the session ends on the server."),
    N_("A CSRF token for this session, to send as X-CSRFToken with cookie-authenticated writes."),
    N_("Your tokens, newest first."),
    N_("Created"),
    N_("Accepted"),
    N_(
        "Make a token, signed in with your password (a token cannot make tokens). The answer "
        "holds the token itself: it is never shown again."
    ),
    N_("Revoke one of your tokens: it stops working at once."),
    N_("Your points."),
    N_("Every badge, with the ones you earned and when."),
    N_(
        "Your engagement figures and quest predictions as last computed (each says when), "
        "with their reasons: a teacher refreshes them, and so may a scheduled task."
    ),
    N_("Your profile and preferences."),
    N_("Change your profile and preferences."),
    N_("Your classrooms, by term, period and name."),
    N_("The classroom's students, by name."),
    N_("Each student's progress in each quest given to them."),
    N_(
        "Every student's quest predictions as last computed (each says when), least likely to"
        " finish first."
    ),
    N_("The quests given to your classrooms, soonest due first, with your progress."),
    N_("One of your quests with its stages (their questions without the answers)."),
    N_("Your attempts at a stage, newest first, with their results and feedback."),
    N_("Answer a stage: graded on the server; the attempt comes back with its result."),
    N_(
        "Refused with 403 for a locked stage or a closed quest, 409 when no tries are left or"
        " the stage was already handed in, 422 for an answer that does not fit the stage."
    ),
    N_("Start a timed stage's clock: its time limit runs on the server from now."),
    N_("A classroom's board (all its quests): its students and teachers only."),
    N_("One quest's board among a classroom it was given to."),
    N_("Sign in with ``{uid, password}``: sets the session cookie."),
    N_("Sign in with a username and password (a session cookie), sign out, who am I."),
    N_(
        "Personal API tokens: send one as `Authorization: Bearer <token>` instead of a "
        "session cookie. A token is shown once, when it is made; it expires, and its owner "
        "can revoke it. A new password, a password reset or a deactivation revokes all of "
        "them."
    ),
    N_("Your points, achievements, analytics record, and profile and preferences."),
    N_("Your classrooms: those you study in, or those you teach."),
    N_("A classroom's roster, progress and predictions: for its teachers and admins."),
    N_("Your quests with your progress, their stages, and your answers to them."),
    N_(
        "A classroom's leaderboard and its quests' boards: classmates appear by pseudonym "
        "only, students who opted out are left off, and a board a teacher turned off shows no"
        " ranking."
    ),
    N_("The course front end's sign-in calls, kept as its pages expect them."),
    N_(
        "Send code to a code challenge; a grader runs it in a sandbox. Ask for the run (below)"
        " until it is ``finished``."
    ),
    N_(
        "Refused with 403 for a locked stage or a closed quest, 409 when no tries are left or"
        " the stage is passed (a submission), 422 for a stage that is not a code challenge or"
        " code that is empty or too long, 503 when this server cannot run code."
    ),
    N_("One of your runs of code at a stage, as far as a grader has got with it."),
    # Feedback conversations (api/feedback.py).
    N_("Feedback"),
    N_("The conversation about an attempt: its student, their teachers and admins."),
    N_(
        "The messages about an attempt, oldest first; a hidden one without its text unless you"
        " are a teacher (or an administrator) of its student."
    ),
    N_("Write a message about an attempt (Markdown; it comes back rendered and sanitized)."),
    N_(
        "Refused with 422 for an empty message or one over 4,000 characters, 429 past the"
        " budget of messages (MESSAGE_RATE_LIMIT)."
    ),
    N_("Null: a deleted account."),
    N_("`student`, `teacher` or `peer_reviewer` (of the attempt)."),
    N_("You wrote it."),
    N_("A teacher hid it."),
    N_("Markdown as written; null when hidden from you."),
    N_("Sanitized HTML; null when hidden from you."),
    # Peer reviews (api/reviews.py).
    N_("Reviews"),
    N_("Peer reviews: the submissions given to the caller to review."),
    N_("Your reviews to do, missed and done."),
    N_("Review a submission given to you, once."),
    N_(
        "Refused with 409 for a second review, 422 after the deadline, for levels that are not"
        " one per criterion within the rubric's levels, or for an empty or too long comment."
    ),
    N_("The quest's title."),
    N_("Null: not reviewed yet."),
)
