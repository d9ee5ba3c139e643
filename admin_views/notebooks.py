"""Importing a Jupyter notebook in the admin: upload it, check the preview, describe its images,
import it as a draft quest.

The preview writes nothing to the database: the uploaded file waits in the upload folder under
a random token, and the import reads it again in full, with the descriptions the teacher typed.
"""

from __future__ import annotations

import base64
import re

from flask import flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import HiddenField, SubmitField
from wtforms.validators import InputRequired, Length

from admin_views.base import StaffOnlyMixin
from quest_platform.labels import KIND_LABELS
from quest_platform.models import MAX_STAGES, MIN_STAGES
from quest_platform.notebooks.plan import Finding, NotebookPlan
from quest_platform.notebooks.vocabulary import NOTEBOOK_MAX_BYTES
from quest_platform.services.errors import Conflict
from quest_platform.services.evidence import MAX_ALT_TEXT_LENGTH
from quest_platform.services.notebooks import (
    NotebookNotImported,
    import_pending_notebook,
    keep_pending_notebook,
    pending_notebook,
    preview_notebook,
)

Page = str | tuple[str, int]
ALT_FIELD = re.compile(r"^alt-\d{1,4}$")
CELL_TYPES = {"markdown": _l("Markdown"), "code": _l("Code"), "raw": _l("Raw")}


class NotebookUploadForm(FlaskForm):
    """The notebook file to read."""

    notebook_file = FileField(
        _l("Notebook (.ipynb)"),
        validators=[FileRequired(_l("Choose a notebook file to upload."))],
        render_kw={"accept": ".ipynb,application/x-ipynb+json,application/json"},
    )
    submit = SubmitField(_l("Check the notebook"))


class NotebookImportForm(FlaskForm):
    """A previewed notebook, named by its upload token, sent back to be imported.

    The images' descriptions are fields named ``alt-1``, ``alt-2``... read with the form.
    """

    upload = HiddenField(validators=[InputRequired(), Length(max=64)])
    file_name = HiddenField(validators=[Length(max=255)])


class NotebookImportView(StaffOnlyMixin, BaseView):
    """Upload, preview and import a notebook as a draft quest of the current user's."""

    @expose("/")
    def index(self) -> Page:
        """The upload form, with what the import reads."""
        return self.upload_page(NotebookUploadForm())

    @expose("/preview", methods=["POST"])
    def preview(self) -> Page:
        """Read the uploaded notebook and show what importing it would make."""
        # A request over MAX_CONTENT_LENGTH never gets here: it is refused (413) with the
        # limit before the form is read.
        form = NotebookUploadForm()
        if not form.validate_on_submit():
            return self.upload_page(form, status=422)
        data = form.notebook_file.data.read(NOTEBOOK_MAX_BYTES + 1)
        file_name = form.notebook_file.data.filename or ""
        if len(data) > NOTEBOOK_MAX_BYTES:
            form.notebook_file.errors.append(too_large())
            return self.upload_page(form, status=413)
        plan = preview_notebook(data=data, file_name=file_name)
        token = keep_pending_notebook(data=data, by=current_user) if not plan.problems else ""
        return self.preview_page(plan, token=token, file_name=file_name)

    @expose("/import", methods=["POST"])
    def run_import(self) -> Page | Response:
        """Import the previewed notebook with the descriptions given, or show why not."""
        form = NotebookImportForm()
        # An invalid form names no upload: the service then finds nothing waiting (Conflict).
        token = (form.upload.data or "") if form.validate_on_submit() else ""
        file_name = form.file_name.data or ""
        alt_texts = {
            key: value for key, value in request.form.items() if ALT_FIELD.match(key) and value
        }
        too_long = [key for key, value in alt_texts.items() if len(value) > MAX_ALT_TEXT_LENGTH]
        data = pending_notebook(token=token, by=current_user) if too_long else None
        if data is not None:
            # The images described at too great a length are asked for again, as typed.
            kept = {key: value for key, value in alt_texts.items() if key not in too_long}
            plan = preview_notebook(data=data, file_name=file_name, alt_texts=kept)
            return self.preview_page(
                plan, token=token, file_name=file_name, too_long=too_long, status=422
            )
        try:
            quest = import_pending_notebook(
                token=token, file_name=file_name, by=current_user, alt_texts=alt_texts
            )
        except NotebookNotImported as error:
            return self.preview_page(error.plan, token="", file_name=file_name, status=422)
        except Conflict as error:
            flash(error.message, "error")
            return self.upload_page(NotebookUploadForm(formdata=None), status=409)
        flash(
            _(
                "Imported “%(title)s” as a draft. Check its stages, then publish it.",
                title=quest.title,
            ),
            "success",
        )
        return redirect(url_for("quest.details_view", id=quest.id))

    def upload_page(self, form: NotebookUploadForm, *, status: int = 200) -> Page:
        page = self.render(
            "admin_views/notebooks/upload.html",
            form=form,
            max_mb=NOTEBOOK_MAX_BYTES // (1024 * 1024),
        )
        return page if status == 200 else (page, status)

    def preview_page(
        self,
        plan: NotebookPlan,
        *,
        token: str,
        file_name: str,
        too_long: list[str] | None = None,
        status: int | None = None,
    ) -> Page:
        """What a notebook would become; its import form when nothing stops it."""
        # formdata=None: the form is filled from the preview, not from this request.
        import_form = NotebookImportForm(formdata=None, upload=token, file_name=file_name)
        count = len(plan.stages)
        page = self.render(
            "admin_views/notebooks/preview.html",
            plan=plan,
            file_name=file_name,
            import_form=import_form,
            kind_labels=KIND_LABELS,
            cell_types=CELL_TYPES,
            stage_count_note=stage_count_note(count) if plan.stages else "",
            image_sources={
                image.number: f"data:{image.content_type};base64,"
                + base64.b64encode(image.data).decode()
                for image in plan.images
            },
            notes_by_cell=by_cell(plan.notes),
            problems_by_cell=by_cell(plan.problems),
            too_long=set(too_long or []),
            max_alt=MAX_ALT_TEXT_LENGTH,
        )
        status = status or (422 if plan.problems else 200)
        return page if status == 200 else (page, status)


def by_cell(findings: tuple[Finding, ...]) -> dict[int | None, list[str]]:
    """Findings' messages grouped by the cell they are about (None: the whole notebook)."""
    grouped: dict[int | None, list[str]] = {}
    for finding in findings:
        grouped.setdefault(finding.cell, []).append(finding.message)
    return grouped


def stage_count_note(count: int) -> str:
    """Why a quest of ``count`` stages stays a draft, or nothing when the count is right."""
    if MIN_STAGES <= count <= MAX_STAGES:
        return ""
    return ngettext(
        "This notebook makes %(num)d stage; a published quest has %(min)d to %(max)d. It is "
        "imported as a draft: add or remove stages in the quest editor (or in the notebook), "
        "then publish.",
        "This notebook makes %(num)d stages; a published quest has %(min)d to %(max)d. It is "
        "imported as a draft: add or remove stages in the quest editor (or in the notebook), "
        "then publish.",
        count,
        min=MIN_STAGES,
        max=MAX_STAGES,
    )


def too_large() -> str:
    return _(
        "The notebook is larger than %(size)d MB. Clear its outputs in Jupyter (Edit, Clear "
        "Outputs of All Cells), save it, and upload it again.",
        size=NOTEBOOK_MAX_BYTES // (1024 * 1024),
    )
