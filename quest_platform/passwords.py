"""Password checks whose messages follow the page's language, zxcvbn's warnings included."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_security import PasswordUtil

# The warnings zxcvbn gives for a weak password. zxcvbn writes them in English only (through
# the process-wide gettext), and Flask-Security passes them on as they are; they are listed
# here so that they enter the platform's catalog, which translates them for each request.
ZXCVBN_WARNINGS = (
    _l("Straight rows of keys are easy to guess."),
    _l("Short keyboard patterns are easy to guess."),
    _l('Repeats like "aaa" are easy to guess.'),
    _l('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    _l('Sequences like "abc" or "6543" are easy to guess.'),
    _l("Recent years are easy to guess."),
    _l("Dates are often easy to guess."),
    _l("This is a top-10 common password."),
    _l("This is a top-100 common password."),
    _l("This is a very common password."),
    _l("This is similar to a commonly used password."),
    _l("A word by itself is easy to guess."),
    _l("Names and surnames by themselves are easy to guess."),
    _l("Common names and surnames are easy to guess."),
)


class LocalizedPasswordUtil(PasswordUtil):
    """Flask-Security's password checks, with zxcvbn's English warnings translated."""

    def validate(
        self, password: str, is_register: bool, **kwargs: Any
    ) -> tuple[list[str] | None, str]:
        problems, normalized = super().validate(password, is_register, **kwargs)
        if problems:
            # Flask-Security's own messages arrive translated and pass through unchanged.
            problems = [gettext(str(problem)) for problem in problems]
        return problems, normalized
