"""Languages and display preferences: the locale and theme of each request."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from flask_security.babel import FsDomain
from jinja2 import pass_context
from jinja2.runtime import Context
from wtforms import SelectChoice

from quest_platform.extensions import babel, security
from quest_platform.time_zones import (
    format_clock,
    format_moment,
    is_today,
    select_timezone,
    zone_name,
)

LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def language_choices() -> list[SelectChoice]:
    """The languages as form choices, each named in its own language."""
    return [
        SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()
    ]


def preferred_language_choices() -> list[SelectChoice]:
    """A person's language choices: their browser's (an empty value), then each language."""
    return [SelectChoice("", _l("Use my browser's language")), *language_choices()]


def format_locale(language: str) -> str:
    """The locale that writes numbers and dates for readers of ``language`` (see
    FORMAT_LOCALES); its words come from the catalog of ``language``, the locale's parent."""
    return str(current_app.config["FORMAT_LOCALES"].get(language, language))


def chosen_language() -> str | None:
    """The user's language, then the one picked this visit, then the browser's."""
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.language in languages:
        return str(current_user.language)
    if session.get("language") in languages:
        return str(session["language"])
    return request.accept_languages.best_match(languages)


def select_locale() -> str | None:
    """Flask-Babel's locale selector: the chosen language, written as its readers expect
    (Spanish as "es_419": the "es" catalog, with Latin-American numbers and times)."""
    if not has_request_context():
        return None
    language = chosen_language()
    return format_locale(language) if language else None


def page_language() -> str:
    """The language of the page, as ``lang`` attributes and the language switch name it."""
    locale = get_locale()
    return locale.language if locale else str(current_app.config["BABEL_DEFAULT_LOCALE"])


class LanguageCatalogs(FsDomain):
    """Flask-Security's messages, found from the page's language when the locale is regional.

    Its catalogs are named by country (es_ES); gettext reaches them from a bare language ("es"
    expands to es_ES) but not from a locale of the Americas (es_419), so they are looked up
    with the language alone.
    """

    # Flask-Babel's Domain, which FsDomain extends, leaves its methods unannotated.
    def get_translations(self) -> Any:
        locale = get_locale()
        if locale is None or locale.territory is None:
            return super().get_translations()  # type: ignore[no-untyped-call]
        with force_locale(locale.language):
            return super().get_translations()  # type: ignore[no-untyped-call]


def register_security_catalogs(app: Flask) -> None:
    """Give Flask-Security (initialised on ``app``) its messages in the page's language."""
    security.i18n_domain = LanguageCatalogs(app)  # type: ignore[no-untyped-call]
    app.jinja_env.globals["_fsdomain"] = security.i18n_domain.gettext


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
        "current_language": page_language(),
        "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
        "time_zone": zone_name(),
    }


@lru_cache(maxsize=4096)
def _formatted(number: int | float, locale: str) -> str:
    return format_decimal(number, locale=locale)


@pass_context
def numberformat(context: Context, number: int | float) -> str:
    """``number`` as the page's language writes it (Flask-Babel's ``numberformat``, memoized).

    Boards and tables format the same few values on every row: the page's locale comes from
    the template context (``ui_preferences``) and each value is formatted once per locale.
    """
    return _formatted(number, context.get("current_locale") or str(get_locale() or "en"))


def register_i18n(app: Flask) -> None:
    """Set up Flask-Babel (language and time zone) and the template values that depend on
    preferences: ``moment`` writes a date and time, ``clock`` a time, on the reader's clock."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["numberformat"] = numberformat
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.tests["today"] = is_today
    app.context_processor(ui_preferences)
