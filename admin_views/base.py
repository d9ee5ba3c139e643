"""Access rules shared by every admin view: staff only, scoped to what each may see.

``ScopedModelView`` is the one place where rows are filtered to the current user. A subclass
says which rows a person may see in :meth:`ScopedModelView.scope`; the base class applies that
condition to every way data leaves a view: the list and its count, search, filters and export
(all built on ``get_query``, in CSV and XLSX), the details, edit and delete pages (``get_one``, a
404 outside the scope), bulk actions (:meth:`ScopedModelView.in_scope`) and ajax lookups of
relationship fields (:class:`ScopedAjaxLoader`).

Query arguments are checked before a view runs (:meth:`ScopedModelView.refused_arguments`): an
id that names no record is not found (404), and a page, sort, page size, search, filter value or
lookup range out of bounds gets a page saying what was wrong (400), before any query runs.

Views change rows through the services, which check permissions and write the audit log. A view
that keeps one of Flask-Admin's default create, update or delete still leaves an audit entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, g, redirect, request, url_for
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_text
from flask_admin.babel import ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.helpers import get_redirect_target
from flask_admin.model import typefmt
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_security import current_user
from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.orm import Query
from werkzeug.wrappers import Response

from admin_views.lists import ChoiceFilter, moment_type, visible_classrooms
from quest_platform.errors import ERROR_TEXTS
from quest_platform.extensions import db
from quest_platform.services import ServiceError
from quest_platform.services.audit import record_change, snapshot
from quest_platform.spreadsheets import spreadsheet_safe
from quest_platform.urls import record_id

# A condition on a model's rows, or None for "every row" (an administrator).
Scope = ColumnElement[bool] | None

EXPORT_LABELS = {"csv": _l("Download as CSV"), "xlsx": _l("Download as Excel (XLSX)")}
# A search longer than this finds no one (names, usernames and titles are shorter), and each
# word is one more condition on every searched column.
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_WORDS = 10


class StaffOnlyMixin:
    """Lets teachers and admins in; sends visitors to sign in and refuses students (403)."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.active and current_user.is_staff)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        if not current_user.is_authenticated:
            # After signing in, come back to the page asked for (or the teacher home after a form).
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("security.login", next=target or url_for("admin.index")))
        return abort(403)


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """An ajax lookup for a relationship field that offers only rows in ``scope()``."""

    def __init__(
        self, name: str, model: type[Any], scope: Callable[[], Scope], **options: Any
    ) -> None:
        super().__init__(name, db, model, **options)
        self.scope = scope

    def get_query(self) -> Query[Any]:
        condition = self.scope()
        query = super().get_query()
        return query if condition is None else query.filter(condition)

    def get_one(self, pk: Any) -> Any:
        condition = self.scope()
        key = getattr(self.model, self.pk)
        query = select(self.model).where(key == record_id(pk))
        if condition is not None:
            query = query.where(condition)
        with db.session.no_autoflush:
            return db.session.scalar(query)


@dataclass(frozen=True)
class FilterField:
    """One filter of a list page as a form field: its URL name, label, choices and value."""

    param: str
    label: str
    choices: list[tuple[str, str]]
    value: str


@dataclass(frozen=True)
class ActionField:
    """A choice that bulk actions read besides the selected rows (such as a target classroom)."""

    name: str
    label: str
    # The first option, chosen until the person picks one of ``choices``.
    prompt: str
    choices: list[tuple[str, str]]


class ScopedModelView(StaffOnlyMixin, ModelView):
    """A model view whose every read and write is limited to :meth:`scope`."""

    list_template = "admin_views/model/list.html"
    details_template = "admin_views/model/details.html"
    edit_template = "admin_views/model/edit.html"
    create_template = "admin_views/model/edit.html"

    can_view_details = True
    can_export = True
    # Every moment on the reader's clock, to the minute: in lists, details and exports alike.
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: moment_type}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: moment_type}
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, datetime: moment_type}
    # XLSX goes through tablib, built on the same scoped query and export columns as CSV.
    export_types = ["csv", "xlsx"]
    named_filter_urls = True
    page_size = 50
    # Secrets never leave a view, whatever a subclass lists.
    never_shown: frozenset[str] = frozenset(
        {
            "password",
            "fs_uniquifier",
            "fs_token_uniquifier",
            "slack_webhook_url",
            "github_webhook_secret",
        }
    )
    # Flask-Admin's column lists (None until a view names its columns).
    column_list: list[str] | None
    column_details_list: list[str] | None
    column_export_list: list[str] | None

    def __init__(self, model: type[Any], **kwargs: Any) -> None:
        # Details and exports show what the list shows unless a view lists theirs: never every
        # column of the model (an audit entry's record as it was, with its secrets).
        if self.column_details_list is None:
            self.column_details_list = self.column_list
        if self.column_export_list is None:
            self.column_export_list = self.column_list
        super().__init__(model, db, **kwargs)

    # Scoping

    def scope(self) -> Scope:
        """The rows the current user may see, as a condition (None: all). Subclasses define it."""
        raise NotImplementedError

    def primary_key(self) -> Any:
        return inspect(self.model).primary_key[0]

    def get_query(self) -> Query[Any]:
        condition = self.scope()
        query = super().get_query()
        return query if condition is None else query.filter(condition)

    def get_count_query(self) -> Query[Any]:
        condition = self.scope()
        query = super().get_count_query()
        return query if condition is None else query.filter(condition)

    def get_one(self, id: Any) -> Any:
        """The row with this id if it is in scope; otherwise 404, whether it exists or not."""
        rows = self.in_scope([id])
        if not rows:
            abort(404)
        return rows[0]

    def in_scope(self, ids: Sequence[Any]) -> list[Any]:
        """The rows among ``ids`` that the current user may see (for bulk actions).

        Values that name no record (not a whole number, or beyond any table) are left out.
        """
        keys = [key for value in ids if (key := record_id(value)) is not None]
        query = select(self.model).where(self.primary_key().in_(keys))
        condition = self.scope()
        if condition is not None:
            query = query.where(condition)
        return list(db.session.scalars(query.order_by(self.primary_key())))

    # Flask-Admin's own bulk "Delete", on the rows in scope, one at a time through delete_model
    # (a view's service); its label and question keep Flask-Admin's wording and translations.
    @action(
        "delete",
        admin_text("Delete"),
        admin_text("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids: Sequence[str]) -> None:
        """Delete each selected row the current user may see; report how many were deleted."""
        deleted = sum(1 for row in self.in_scope(ids) if self.delete_model(row))
        message = admin_ngettext(
            "Record was successfully deleted.",
            "%(count)s records were successfully deleted.",
            deleted,
            count=deleted,
        )
        flash(message, "success")

    def handle_action(self, return_view: str | None = None) -> Any:
        """Run the bulk action chosen for the selected rows, asking first where it has a question.

        Flask-Admin asks an action's confirmation question with a script, and our list pages
        have none: so a page asks it, carrying the selected rows and choices over, and the action
        runs only once that page is sent. Without an action or a row, nothing runs.
        """
        back = get_redirect_target() or self.get_url(".index_view")
        name = request.form.get("action", "")
        actions, questions = self.get_actions_list()
        label = dict(actions).get(name)
        if label is None:
            flash(_("Choose an action for the selected rows."), "error")
            return redirect(back)
        rows = request.form.getlist("rowid")
        if not rows:
            flash(_("Select the rows to act on first."), "error")
            return redirect(back)
        if name in questions and request.form.get("confirmed") != "yes":
            carried = [
                (field, value)
                for field, value in request.form.items(multi=True)
                if field not in {"csrf_token", "confirmed"}
            ]
            return self.render(
                "admin_views/confirm.html",
                heading=label,
                question=questions[name],
                details=[ngettext("%(num)d row selected.", "%(num)d rows selected.", len(rows))],
                action_url=self.get_url(".action_view"),
                carried=carried,
                confirm_label=label,
                cancel_url=back,
            )
        return super().handle_action(return_view)

    def scoped_ajax_loader(
        self, name: str, model: type[Any], scope: Callable[[], Scope], **options: Any
    ) -> ScopedAjaxLoader:
        """An ajax lookup for ``form_ajax_refs`` that offers only rows in ``scope``."""
        return ScopedAjaxLoader(name, model, scope, **options)

    def get_filter_arg(self, index: int, flt: Any) -> str:
        # A stable name in the URL (``flt0_classroom``), the same in every language.
        return getattr(flt, "key", None) or super().get_filter_arg(index, flt)

    # Query arguments, checked before any view runs

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        # Flask-Admin's hook before every view of this class: access first, then arguments.
        refused = super()._handle_view(name, **kwargs)
        if refused is not None:
            return refused
        problem = self.refused_arguments()
        if problem is None:
            return None
        title = ERROR_TEXTS[400][0]
        page = self.render(
            "admin_views/model/refused.html",
            title=title,
            message=problem,
            return_url=self.get_url(".index_view"),
        )
        return page, 400

    def refused_arguments(self) -> str | None:
        """Why the query arguments of this request cannot be used, or None if they can.

        The list and its exports read a page, a sort column and direction, a page size, a search
        and the filters' values; lookups an offset and a limit. Each must be within its bounds,
        so that no query is ever asked for something the database cannot answer. Ids are
        checked where a record is looked up (:meth:`get_one`, :meth:`in_scope`).
        """
        args = request.args
        if not all(whole_number(value) for value in args.getlist("page")):
            return _("The address asks for a page that is not a page of this list.")
        if not all(self.sortable(value) for value in args.getlist("sort")) or not all(
            value in {"", "0", "1"} for value in args.getlist("desc")
        ):
            return _("This list cannot be sorted that way.")
        if not all(whole_number(value) for value in args.getlist("page_size")):
            return _("This list does not show that many rows a page.")
        ranges = [*args.getlist("offset"), *args.getlist("limit")]
        if not all(whole_number(value) for value in ranges):
            return _("A lookup asks for rows by whole numbers.")
        for search in args.getlist("search"):
            if len(search) > MAX_SEARCH_LENGTH or len(search.split()) > MAX_SEARCH_WORDS:
                # Two counts, each with its own plural, in one sentence.
                return _(
                    "Search for at most %(characters)s and %(words)s.",
                    characters=ngettext(
                        "%(num)d character", "%(num)d characters", MAX_SEARCH_LENGTH
                    ),
                    words=ngettext("%(num)d word", "%(num)d words", MAX_SEARCH_WORDS),
                )
        filters = {self.get_filter_arg(i, flt): flt for i, flt in enumerate(self._filters or [])}
        for argument in args:
            # Flask-Admin reads ``flt<position>_<name>`` and passes over any other ``flt...``.
            _position, underscore, key = argument[3:].partition("_")
            if not argument.startswith("flt") or not underscore or key not in filters:
                continue
            if not all(filters[key].validate(value) for value in args.getlist(argument)):
                return _("The filter “%(filter)s” has no such choice.", filter=filters[key].name)
        return None

    def sortable(self, value: str) -> bool:
        """Whether ``value`` is empty or the index of a list column the list sorts by."""
        if value == "":
            return True
        columns = self.get_list_columns()
        index = record_id(value)
        return index is not None and index < len(columns) and self.is_sortable(columns[index][0])

    # Secrets

    def scaffold_list_columns(self) -> list[Any]:
        return [name for name in super().scaffold_list_columns() if name not in self.never_shown]

    def get_details_columns(self) -> list[tuple[str, str]]:
        columns = super().get_details_columns()
        return [(name, label) for name, label in columns if name not in self.never_shown]

    def get_export_columns(self) -> list[tuple[str, str]]:
        columns = super().get_export_columns()
        return [(name, label) for name, label in columns if name not in self.never_shown]

    def get_export_value(self, model: Any, name: str) -> Any:
        return spreadsheet_safe(super().get_export_value(model, name))

    # The audit log, for changes made by Flask-Admin's defaults rather than a service

    def update_model(self, form: Any, model: Any) -> bool:
        g.admin_audit_before = snapshot(model)
        return bool(super().update_model(form, model))

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        before = None if is_created else g.pop("admin_audit_before", None)
        action = "create" if is_created else "update"
        record_change(actor=current_user, action=action, record=model, before=before)

    def on_model_delete(self, model: Any) -> None:
        record_change(
            actor=current_user, action="delete", record=model, before=snapshot(model), after={}
        )

    # Templates

    title_column = "id"

    def row_editable(self, model: Any) -> bool:
        """Whether the list offers to edit this row (a view may show rows it cannot change)."""
        return True

    def row_links(self, model: Any) -> list[tuple[str, str]]:
        """Links of a list row besides "Details" and "Edit", as (address, text) pairs."""
        return []

    def record_title(self, model: Any) -> str:
        """What a record is called in headings (a classroom's name, a person's name)."""
        return str(getattr(model, self.title_column))

    def classroom_choices(self) -> list[tuple[str, str]]:
        """The classrooms the current user may see, as choices of a select or filter."""
        return visible_classrooms(self)

    def action_fields(self) -> list[ActionField]:
        """The choices shown beside the bulk actions of the list page (none by default)."""
        return []

    def export_links(self) -> list[tuple[str, str]]:
        """Each export format of the list page, with the label of its download link."""
        return [(kind, str(EXPORT_LABELS[kind])) for kind in self.export_types]

    def filter_fields(self, active: Sequence[tuple[int, str, str]] | None) -> list[FilterField]:
        """The list page's filters as form fields, each showing its current value."""
        current = {index: value for index, _name, value in active or []}
        return [
            FilterField(
                param=f"flt{position}_{self.get_filter_arg(index, flt)}",
                label=str(flt.name),
                choices=flt.choices(self) if isinstance(flt, ChoiceFilter) else [],
                value=current.get(index, ""),
            )
            for position, (index, flt) in enumerate(enumerate(self._filters or []))
        ]

    def report(self, error: ServiceError, form: Any = None) -> bool:
        """Show a refused change (by its field, if the form has it; its service undid it);
        returns False."""
        if form is not None and error.field and error.field in form:
            form[error.field].errors = [*form[error.field].errors, error.message]
        else:
            flash(error.message, "error")
        return False


def whole_number(value: str) -> bool:
    """Whether ``value`` is empty or a whole number from 0 up to the largest id (a page, a row)."""
    return value == "" or record_id(value) is not None
