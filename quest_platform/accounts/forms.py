"""Forms of the account pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from quest_platform.i18n import preferred_language_choices
from quest_platform.time_zones import time_zone_choices

THEME_CHOICES = [
    SelectChoice("light", _l("Light")),
    SelectChoice("dark", _l("Dark")),
    SelectChoice("high-contrast", _l("High contrast")),
]


def browser_decides(value: str | None) -> str | None:
    """A preference's value as chosen; None (the browser decides) for the empty choice."""
    return value or None


class JoinForm(FlaskForm):
    """A student creates an account with the join code their teacher gave them."""

    join_code = StringField(
        _l("Classroom join code"),
        validators=[DataRequired(), Length(min=8, max=8)],
        description=_l("8 letters and digits, from your teacher."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(min=3, max=40)],
        description=_l("3 to 40 letters, digits, dots, dashes or underscores."),
        render_kw={"autocomplete": "username"},
    )
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("The name your teacher sees."),
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=128)],
        description=_l("At least 10 characters; a few unrelated words make a strong one."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create my account"))


class ProfileForm(FlaskForm):
    """A user's own name, leaderboard name and preferences."""

    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "name"},
    )
    pseudonym = StringField(
        _l("Leaderboard name"),
        validators=[DataRequired(), Length(min=3, max=40)],
        description=_l("Other students see this name, never your real one."),
        render_kw={"autocomplete": "off"},
    )
    language = SelectField(
        _l("Language"),
        choices=preferred_language_choices(),
        coerce=browser_decides,
        description=_l("Until you choose one, pages follow your browser's language."),
    )
    time_zone = SelectField(
        _l("Time zone"),
        choices=time_zone_choices(),
        coerce=browser_decides,
        description=_l(
            "Dates and times are shown in this time zone. "
            "Until you choose one, your browser's time zone is used."
        ),
    )
    theme = RadioField(_l("Theme"), choices=THEME_CHOICES)
    reduced_motion = BooleanField(_l("Reduce motion and animations"))
    leaderboard_opt_in = BooleanField(_l("Show me on leaderboards"))
    submit = SubmitField(_l("Save my profile"))


class GithubUsernameForm(FlaskForm):
    """A student's GitHub login, linked so that their pull requests count as evidence."""

    github_username = StringField(
        _l("GitHub username"),
        validators=[Length(max=100)],
        description=_l(
            "Your login on github.com, such as octocat. With it, the pull requests you open for a"
            " checkpoint are handed in for you. Leave it empty to unlink it."
        ),
        render_kw={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Save my GitHub username"))
