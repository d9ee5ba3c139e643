"""Languages and display preferences: the locale and theme of each request."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_security import current_user
from wtforms import SelectChoice

from quest_platform.extensions import babel

LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def language_choices() -> list[SelectChoice]:
    """The languages as form choices, each named in its own language."""
    return [
        SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()
    ]


def select_locale() -> str | None:
    """Choose the user's language, then the one picked this visit, then the browser's."""
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    if session.get("language") in languages:
        return session["language"]
    return request.accept_languages.best_match(languages)


def ui_preferences() -> dict[str, Any]:
    """Template values for the theme, motion and language of the page."""
    if current_user.is_authenticated:
        theme, reduced_motion = current_user.theme, current_user.reduced_motion
    else:
        # "auto" follows the operating system's colour-scheme and contrast settings.
        theme, reduced_motion = "auto", False
    return {
        "ui_theme": theme,
        "ui_reduced_motion": reduced_motion,
        "language_names": LANGUAGE_NAMES,
        "current_language": str(get_locale() or "en"),
    }


def register_i18n(app: Flask) -> None:
    """Set up Flask-Babel and the template values that depend on preferences."""
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(ui_preferences)
