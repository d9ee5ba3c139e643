"""Languages and display preferences: the locale and theme of each request."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_security import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
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
        return str(current_user.language)
    if session.get("language") in languages:
        return str(session["language"])
    return request.accept_languages.best_match(languages)


def ui_preferences() -> dict[str, Any]:
    """Template values for the theme, motion and language of the page."""
    # Reports written from the command line render templates outside any request.
    if has_request_context() and current_user.is_authenticated:
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


@lru_cache(maxsize=4096)
def _formatted(number: int | float, locale: str) -> str:
    return format_decimal(number, locale=locale)


@pass_context
def numberformat(context: Context, number: int | float) -> str:
    """``number`` as the page's language writes it (Flask-Babel's ``numberformat``, memoized).

    Boards and tables format the same few values on every row: the page's language comes from
    the template context (``ui_preferences``) and each value is formatted once per language.
    """
    return _formatted(number, context.get("current_language") or str(get_locale() or "en"))


def register_i18n(app: Flask) -> None:
    """Set up Flask-Babel and the template values that depend on preferences."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["numberformat"] = numberformat
    app.context_processor(ui_preferences)
