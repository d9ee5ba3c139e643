"""Quests in the admin: authoring with an ordered stage editor, preview, publish, archive, copy.

A teacher edits the quests they wrote and reads (and may copy) every published quest; an
administrator edits them all. Stages are edited on the quest's own page, in order: each kind of
stage has its own form (see ``stage_forms``), and stages move up or down with a button.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Query, selectinload
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import Length, Optional

from admin_views.base import Scope, ScopedModelView
from admin_views.lists import labelled, labels_filter, person, shown
from admin_views.stage_forms import FORMS, blank_question, stage_form
from quest_platform.code_challenges import Challenge
from quest_platform.labels import KIND_LABELS
from quest_platform.models import Quest, QuestStatus, Stage, StageKind
from quest_platform.services import ServiceError
from quest_platform.services.notebooks import export_file_name, exported_notebook
from quest_platform.services.quests import (
    MAX_SLUG_LENGTH,
    add_stage,
    archive_quest,
    copy_quest,
    create_quest,
    delete_quest,
    delete_stage,
    may_edit_quest,
    move_stage,
    publish_quest,
    publishing_problems,
    update_quest,
    update_stage,
)
from quest_platform.time_zones import in_zone

STATUS_LABELS = {
    QuestStatus.DRAFT.value: _l("Draft"),
    QuestStatus.PUBLISHED.value: _l("Published"),
    QuestStatus.ARCHIVED.value: _l("Archived"),
}
AUTHOR_LABELS = {"mine": _l("Mine"), "others": _l("Other teachers'")}


def written_by(author: str) -> ColumnElement[bool]:
    """Quests by the current user ("mine"), or by anyone else ("others")."""
    if author == "mine":
        return Quest.author_id == current_user.id
    return or_(Quest.author_id.is_(None), Quest.author_id != current_user.id)


def unprocessable_if_refused(page: Response | str) -> Response | str | tuple[str, int]:
    """A form page shown again after a POST was refused: it comes back as unprocessable (422)."""
    if request.method == "POST" and isinstance(page, str):
        return page, 422
    return page


class QuestView(ScopedModelView):
    """Quests a teacher wrote, and every published quest; each with its stages in order."""

    details_template = "admin_views/quest/details.html"
    title_column = "title"

    column_list = ["title", "slug", "theme", "status", "author", "stage_count"]
    column_details_list = ["title", "slug", "theme", "summary", "status", "author", "created_at"]
    column_export_list = ["title", "slug", "theme", "status", "author", "stage_count"]
    column_labels = {
        "title": _l("Title"),
        "slug": _l("Address (slug)"),
        "theme": _l("Theme"),
        "summary": _l("Summary"),
        "status": _l("Status"),
        "author": _l("Author"),
        "stage_count": _l("Stages"),
        "created_at": in_zone(_l("Created")),
    }
    column_sortable_list = ["title", "slug", "theme", "status", "created_at"]
    column_default_sort = "title"
    column_searchable_list = ["title", "slug", "theme"]
    column_filters = [
        labels_filter(Quest.status, _l("Status"), "status", STATUS_LABELS),
        labels_filter(Quest.author_id, _l("Author"), "author", AUTHOR_LABELS, written_by),
    ]
    column_formatters = {
        "status": labelled(STATUS_LABELS),
        "author": person(_l("Nobody")),
        "stage_count": shown(lambda quest: len(quest.stages)),
    }
    form_columns = ["title", "slug", "theme", "summary"]

    def scope(self) -> Scope:
        if current_user.is_admin:
            return None
        return or_(Quest.author_id == current_user.id, Quest.status == QuestStatus.PUBLISHED.value)

    def get_query(self) -> Query[Any]:
        return super().get_query().options(selectinload(Quest.stages))

    def get_one(self, id: Any) -> Quest:
        quest: Quest = super().get_one(id)
        if request.endpoint in {"quest.edit_view", "quest.delete_view"}:
            self.check_editable(quest)
        return quest

    def check_editable(self, quest: Quest) -> None:
        """Refuse (403) a change to a quest someone else wrote."""
        if not may_edit_quest(staff=current_user, quest=quest):
            abort(403)

    def editable(self, quest: Quest) -> bool:
        """Whether the current user may change ``quest`` (templates show its controls)."""
        return may_edit_quest(staff=current_user, quest=quest)

    def row_editable(self, model: Quest) -> bool:
        return self.editable(model)

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        # Optional, unlike the column: the quest services make an address from the title.
        form_class.slug = StringField(
            _l("Address (slug)"),
            validators=[Optional(), Length(max=MAX_SLUG_LENGTH)],
            description=_l(
                "Optional: the quest's name in its links. Left empty, it is made from the title"
                " (“Café API” becomes cafe-api). Lower-case letters, digits and dashes."
            ),
        )
        return form_class

    # Assigning a published quest: the assignment form, with this quest chosen.

    def assign_url(self, quest: Quest) -> str | None:
        """The form assigning ``quest`` to a classroom, or None while it cannot be assigned."""
        if quest.status != QuestStatus.PUBLISHED:
            return None
        return url_for("assignment.create_view", quest=quest.id)

    def row_links(self, model: Quest) -> list[tuple[str, str]]:
        url = self.assign_url(model)
        return [(url, _("Assign to a classroom"))] if url else []

    # Creating, changing and deleting go through the quest services (permissions, audit).

    def create_model(self, form: Any) -> Quest | bool:
        try:
            return create_quest(
                slug=form.slug.data or "",
                title=form.title.data or "",
                theme=form.theme.data or "",
                summary=form.summary.data or "",
                stages=[],
                author=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)

    def update_model(self, form: Any, model: Quest) -> bool:
        try:
            update_quest(
                quest=model,
                slug=form.slug.data or "",
                title=form.title.data or "",
                theme=form.theme.data or "",
                summary=form.summary.data or "",
                by=current_user,
            )
        except ServiceError as error:
            return self.report(error, form)
        return True

    def delete_model(self, model: Quest) -> bool:
        try:
            delete_quest(quest=model, by=current_user)
        except ServiceError as error:
            return self.report(error)
        return True

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().create_view())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Response | str | tuple[str, int]:
        return unprocessable_if_refused(super().edit_view())

    def get_save_return_url(self, model: Quest, is_created: bool = False) -> str:
        # A new quest has no stages yet: its page is where they are added.
        return self.details_url(model)

    def details_url(self, quest: Quest) -> str:
        return self.get_url(".details_view", id=quest.id)

    # The quest page: its stages in order and what can be done with them

    def render(self, template: str, **kwargs: Any) -> str:
        if template == self.details_template and "model" in kwargs:
            quest = kwargs["model"]
            kwargs.update(
                problems=publishing_problems(quest) if quest.status == QuestStatus.DRAFT else [],
                editable=self.editable(quest),
                kind_labels=KIND_LABELS,
                addable_kinds=[kind for kind in StageKind if kind.value in FORMS],
                status_label=STATUS_LABELS.get(quest.status, quest.status),
            )
        return super().render(template, **kwargs)

    def stage_of(self, quest_id: int, position: int) -> tuple[Quest, Stage]:
        """The quest (editable by the current user) and its stage at ``position``, or 404."""
        quest = self.editable_quest(quest_id)
        stage = next((s for s in quest.stages if s.position == position), None)
        if stage is None:
            abort(404)
        return quest, stage

    def editable_quest(self, quest_id: int) -> Quest:
        """A quest the current user may see (else 404) and change (else 403)."""
        quest: Quest = super().get_one(quest_id)
        self.check_editable(quest)
        return quest

    @expose("/<int:quest_id>/stages/new", methods=("GET", "POST"))
    def stage_new(self, quest_id: int) -> Response | str | tuple[str, int]:
        """Add a stage of the kind asked for at the end of the quest."""
        quest = self.editable_quest(quest_id)
        kind = request.values.get("kind", "")
        if kind not in FORMS:
            flash(_("Choose what kind of stage to add."), "error")
            return redirect(self.details_url(quest))
        form = stage_form(kind)
        if form.validate_on_submit():
            try:
                stage = add_stage(quest=quest, draft=form.to_draft(), by=current_user)
            except ServiceError as error:
                self.report(error, form)
            else:
                flash(_("Stage %(position)d added.", position=stage.position), "success")
                return redirect(self.details_url(quest) + f"#stage-{stage.position}")
        return self.stage_page(quest, form, kind=kind, stage=None)

    @expose("/<int:quest_id>/stages/<int:position>/edit", methods=("GET", "POST"))
    def stage_edit(self, quest_id: int, position: int) -> Response | str | tuple[str, int]:
        """Edit one stage with the form of its kind."""
        quest, stage = self.stage_of(quest_id, position)
        form = stage_form(stage.kind, stage)
        if form.validate_on_submit():
            try:
                update_stage(stage=stage, draft=form.to_draft(stage.settings), by=current_user)
            except ServiceError as error:
                self.report(error, form)
            else:
                flash(_("Stage %(position)d saved.", position=stage.position), "success")
                return redirect(self.details_url(quest) + f"#stage-{stage.position}")
        return self.stage_page(quest, form, kind=stage.kind, stage=stage)

    def stage_page(
        self, quest: Quest, form: Any, *, kind: str, stage: Stage | None
    ) -> str | tuple[str, int]:
        page = self.render(
            "admin_views/quest/stage_form.html",
            quest=quest,
            stage=stage,
            form=form,
            kind=kind,
            kind_label=KIND_LABELS[StageKind(kind)],
            return_url=self.details_url(quest),
            blank_question=blank_question("questions-__index__-"),
        )
        # A refused form comes back with its messages, as unprocessable.
        return (page, 422) if form.errors or request.method == "POST" else page

    @expose("/<int:quest_id>/stages/<int:position>/move", methods=("POST",))
    def stage_move(self, quest_id: int, position: int) -> Response:
        """Move a stage one place up or down."""
        quest, stage = self.stage_of(quest_id, position)
        offset = -1 if request.form.get("direction") == "up" else 1
        try:
            move_stage(stage=stage, offset=offset, by=current_user)
        except ServiceError as error:
            self.report(error)
        else:
            flash(
                _(
                    "“%(title)s” is now stage %(position)d.",
                    title=stage.title,
                    position=stage.position,
                ),
                "success",
            )
        return redirect(self.details_url(quest) + f"#stage-{stage.position}")

    @expose("/<int:quest_id>/stages/<int:position>/delete", methods=("POST",))
    def stage_delete(self, quest_id: int, position: int) -> Response:
        """Remove a stage nobody has answered."""
        quest, stage = self.stage_of(quest_id, position)
        title = stage.title
        try:
            delete_stage(stage=stage, by=current_user)
        except ServiceError as error:
            self.report(error)
        else:
            flash(_("Stage “%(title)s” removed.", title=title), "success")
        return redirect(self.details_url(quest))

    @expose("/<int:quest_id>/publish", methods=("POST",))
    def publish(self, quest_id: int) -> Response:
        """Publish the quest, or show every reason it cannot be published yet."""
        quest = self.editable_quest(quest_id)
        try:
            publish_quest(quest=quest, by=current_user)
        except ServiceError as error:
            self.report(error)
        else:
            flash(_("“%(title)s” is published.", title=quest.title), "success")
        return redirect(self.details_url(quest))

    @expose("/<int:quest_id>/archive", methods=("POST",))
    def archive(self, quest_id: int) -> Response:
        """Archive the quest: no new assignments; attempts and assignments stay."""
        quest = self.editable_quest(quest_id)
        try:
            archive_quest(quest=quest, by=current_user)
        except ServiceError as error:
            self.report(error)
        else:
            flash(_("“%(title)s” is archived.", title=quest.title), "success")
        return redirect(self.details_url(quest))

    @expose("/<int:quest_id>/copy", methods=("POST",))
    def copy(self, quest_id: int) -> Response:
        """Make the current user a draft copy of the quest, and open it."""
        quest: Quest = super().get_one(quest_id)
        try:
            copy = copy_quest(quest=quest, by=current_user)
        except ServiceError as error:
            self.report(error)
            return redirect(self.details_url(quest))
        flash(_("This is your copy of “%(title)s”: edit it freely.", title=quest.title), "success")
        return redirect(self.details_url(copy))

    @expose("/<int:quest_id>/notebook.ipynb")
    def notebook(self, quest_id: int) -> Response:
        """The quest as a Jupyter notebook, for anyone who may read it."""
        quest: Quest = super().get_one(quest_id)
        response = Response(exported_notebook(quest=quest), mimetype="application/x-ipynb+json")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{export_file_name(quest)}"'
        )
        return response

    @expose("/<int:quest_id>/preview/")
    @expose("/<int:quest_id>/preview/<int:position>")
    def preview(self, quest_id: int, position: int = 1) -> str:
        """Show a stage as a student sees it, with links through the quest's stages."""
        quest: Quest = super().get_one(quest_id)
        stage = next((s for s in quest.stages if s.position == position), None)
        if stage is None and position != 1:
            abort(404)
        return self.render(
            "admin_views/quest/preview.html",
            quest=quest,
            stage=stage,
            body=stage.body if stage else "",
            challenge=Challenge.of(stage.settings or {}) if stage else None,
            kind_labels=KIND_LABELS,
            return_url=self.details_url(quest),
        )

    # Bulk actions: each quest is checked by the service (author or administrator).

    def for_each(self, ids: list[str], change: Any, done_message: Any) -> None:
        done = 0
        for quest in self.in_scope(ids):
            try:
                change(quest)
            except ServiceError as error:
                self.report(error)
                continue
            done += 1
        flash(done_message(done), "success")

    @action("publish", _l("Publish"))
    def action_publish(self, ids: list[str]) -> None:
        """Publish each selected quest that is complete."""
        self.for_each(
            ids,
            lambda quest: publish_quest(quest=quest, by=current_user),
            lambda n: ngettext("%(num)d quest published.", "%(num)d quests published.", n),
        )

    @action("archive", _l("Archive"), _l("Archive the selected quests?"))
    def action_archive(self, ids: list[str]) -> None:
        """Archive each selected quest the user may change."""
        self.for_each(
            ids,
            lambda quest: archive_quest(quest=quest, by=current_user),
            lambda n: ngettext("%(num)d quest archived.", "%(num)d quests archived.", n),
        )

    @action("copy", _l("Copy"))
    def action_copy(self, ids: list[str]) -> None:
        """Make a draft copy of each selected quest for the current user."""
        self.for_each(
            ids,
            lambda quest: copy_quest(quest=quest, by=current_user),
            lambda n: ngettext("%(num)d copy made.", "%(num)d copies made.", n),
        )
