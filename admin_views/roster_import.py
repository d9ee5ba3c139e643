"""Importing a roster in the admin: upload a CSV file, check the preview, import, hand out sign-ins.

Every step is a plain form. The preview writes nothing; its "Import" form sends the roster's
text back, and the import checks it again in full, so an edited form changes nothing it should
not. The credentials sheet is shown once: passwords are stored only as hashes.
"""

from __future__ import annotations

from flask import Response, abort, request, url_for
from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, Form, FormField, HiddenField, IntegerField, SelectField, SubmitField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput

from admin_views.base import StaffOnlyMixin
from quest_platform.extensions import db
from quest_platform.models import Classroom
from quest_platform.queries.classrooms import classroom_choices
from quest_platform.services import ServiceError
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.roster_import import (
    ROSTER_MAX_BYTES,
    ROSTER_MAX_ROWS,
    ImportedCredential,
    RosterNotImported,
    RosterPreview,
    RosterTooLarge,
    credentials_csv,
    import_roster,
    preview_roster,
)
from quest_platform.urls import record_id

Page = str | tuple[str, int]


class RosterUploadForm(FlaskForm):
    """The classroom to fill and the roster file to read."""

    # Choices are the classrooms the user manages; the view answers any other id (403/404).
    classroom = SelectField(
        _l("Classroom"), coerce=int, validate_choice=False, validators=[InputRequired()]
    )
    roster_file = FileField(
        _l("Roster file (CSV)"),
        validators=[FileRequired(_l("Choose a CSV file to upload."))],
        render_kw={"accept": ".csv,text/csv"},
    )
    submit = SubmitField(_l("Check the file"))


class RosterImportForm(FlaskForm):
    """The roster of a preview, sent back to be checked again and imported."""

    classroom = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    roster = HiddenField(validators=[InputRequired()])


class CredentialFields(Form):
    """One student's sign-in on the credentials sheet (a subform: the outer form has the CSRF)."""

    display_name = HiddenField(validators=[InputRequired(), Length(max=80)])
    username = HiddenField(validators=[InputRequired(), Length(max=40)])
    password = HiddenField(validators=[InputRequired(), Length(max=64)])


class CredentialsDownloadForm(FlaskForm):
    """The sign-ins shown on the credentials sheet, sent back to be downloaded as CSV."""

    credentials = FieldList(FormField(CredentialFields), min_entries=1, max_entries=ROSTER_MAX_ROWS)


class RosterImportView(StaffOnlyMixin, BaseView):
    """Upload, preview and import a roster into a classroom the user manages."""

    @expose("/")
    def index(self) -> Page:
        """The upload form, with the accepted layouts."""
        return self.upload_page(self.upload_form())

    @expose("/preview", methods=["POST"])
    def preview(self) -> Page:
        """Check the uploaded file row by row and show what importing it would do."""
        form = self.upload_form()
        valid = form.validate_on_submit()
        classroom = self.managed_classroom(form.classroom.data)
        if not valid or classroom is None:
            return self.upload_page(form, status=422)
        data = form.roster_file.data.read(ROSTER_MAX_BYTES + 1)
        try:
            preview = preview_roster(data=data, classroom=classroom, by=current_user)
        except RosterTooLarge as error:
            form.roster_file.errors.append(error.message)
            return self.upload_page(form, status=error.status_code)
        if preview.errors:
            form.roster_file.errors.extend(preview.errors)
            return self.upload_page(form, status=422)
        return self.preview_page(preview, classroom)

    @expose("/import", methods=["POST"])
    def run_import(self) -> Page:
        """Check the roster again and, if every row is right, create and enroll the students."""
        form = RosterImportForm()
        if not form.validate_on_submit():
            abort(400)
        classroom = self.managed_classroom(form.classroom.data)
        if classroom is None:
            abort(400)
        try:
            credentials = import_roster(data=form.roster.data, classroom=classroom, by=current_user)
        except RosterNotImported as error:
            return self.preview_page(
                error.preview, classroom, attempted=True, status=error.status_code
            )
        except ServiceError as error:
            preview = RosterPreview(text=form.roster.data, errors=(error.message,))
            return self.preview_page(preview, classroom, attempted=True, status=error.status_code)
        # formdata=None: this request's form is the import form, not the download form.
        download = CredentialsDownloadForm(formdata=None, data={"credentials": credentials})
        return self.render(
            "admin_views/roster_import/credentials.html",
            classroom=classroom,
            credentials=credentials,
            download_form=download,
        )

    @expose("/credentials.csv", methods=["POST"])
    def credentials_csv(self) -> Response:
        """The credentials sheet as a CSV attachment, from the sign-ins it shows."""
        form = CredentialsDownloadForm()
        if not form.validate_on_submit():
            abort(400)
        credentials = [ImportedCredential(**entry.data) for entry in form.credentials.entries]
        text = credentials_csv(credentials, sign_in_url=url_for("security.login", _external=True))
        response = Response(text, mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="roster-sign-ins.csv"'
        # One-time passwords: never kept by the browser or a proxy.
        response.headers["Cache-Control"] = "no-store"
        return response

    # Helpers

    def upload_form(self) -> RosterUploadForm:
        """The upload form, offering the classrooms the current user manages.

        ``?classroom=<id>`` (from a classroom's next steps) chooses that classroom at first.
        """
        form = RosterUploadForm()
        form.classroom.choices = [
            (int(value), label) for value, label in classroom_choices(current_user)
        ]
        chosen = request.args.get("classroom", type=int)
        offered = {value for value, _label in form.classroom.choices}
        if request.method == "GET" and chosen in offered:
            form.classroom.data = chosen
        form.roster_file.description = ngettext(
            "A CSV file of at most %(size)d KB and %(num)d student.",
            "A CSV file of at most %(size)d KB and %(num)d students.",
            ROSTER_MAX_ROWS,
            size=ROSTER_MAX_BYTES // 1024,
        )
        return form

    def managed_classroom(self, classroom_id: int | None) -> Classroom | None:
        """The classroom with this id: 404 if there is none, 403 if it is someone else's."""
        if classroom_id is None:
            return None
        key = record_id(classroom_id)
        classroom = (db.session.get(Classroom, key) if key is not None else None) or abort(404)
        if not may_manage_classroom(staff=current_user, classroom=classroom):
            abort(403)
        return classroom

    def upload_page(self, form: RosterUploadForm, *, status: int = 200) -> Page:
        page = self.render(
            "admin_views/roster_import/upload.html",
            form=form,
            max_kb=ROSTER_MAX_BYTES // 1024,
            max_rows=ROSTER_MAX_ROWS,
        )
        return page if status == 200 else (page, status)

    def preview_page(
        self,
        preview: RosterPreview,
        classroom: Classroom,
        *,
        attempted: bool = False,
        status: int = 200,
    ) -> Page:
        """The rows of a roster; ``attempted`` when an import was refused because of them."""
        # formdata=None: the form is filled from the preview, not from this request.
        import_form = RosterImportForm(formdata=None, classroom=classroom.id, roster=preview.text)
        page = self.render(
            "admin_views/roster_import/preview.html",
            preview=preview,
            classroom=classroom,
            import_form=import_form,
            attempted=attempted,
        )
        return page if status == 200 else (page, status)
