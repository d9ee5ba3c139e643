"""Forms of the public pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import DataRequired

from quest_platform.i18n import language_choices


class LanguageForm(FlaskForm):
    """The language switch in every page's footer."""

    language = SelectField(_l("Language"), choices=language_choices(), validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField(_l("Change language"))
