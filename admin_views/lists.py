"""What the admin's lists show and how they filter, each defined once for every view.

A view declares its columns with the formatters here (a moment, a person's name, a label, a
duration...): Flask-Admin uses ``column_formatters`` for the list, the details page and the
exports alike. Its filters are :class:`ChoiceFilter` instances made by the builders here (by
classroom, by id, by label, by period): each names its choices and checks a value before any
query runs (see ``ScopedModelView.refused_arguments``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l
from flask_security import current_user
from sqlalchemy import ColumnElement, SQLColumnExpression, select
from sqlalchemy.orm import Query

from quest_platform.extensions import db
from quest_platform.labels import short_duration
from quest_platform.models import Quest, QuestAssignment, utcnow
from quest_platform.queries.classrooms import (
    classroom_choices,
    classrooms_taught_by,
    enrolled_in,
    work_in_classroom,
)
from quest_platform.time_zones import format_moment, local_midnight
from quest_platform.urls import record_id

# A Flask-Admin column formatter: (view, context, row, column name) -> the value shown.
Formatter = Callable[[Any, Any, Any, str], Any]
# A filter's choices for the current user, given the view: (value, label) pairs.
Choices = Callable[[Any], list[tuple[str, str]]]

YES_NO = {True: _l("Yes"), False: _l("No")}
PERIOD_LABELS = {
    "today": _l("Today"),
    "7": _l("Last 7 days"),
    "30": _l("Last 30 days"),
}


# Record ids as addresses write them


def is_record_id(value: str) -> bool:
    """Whether ``value`` names a record id (see :func:`record_id`)."""
    return record_id(value) is not None


# Order and search

# Rows of a student (attempts, achievements, extra time) are searched by the student.
STUDENT_SEARCH = ["student.username", "student.display_name"]


def newest_first(moment: str) -> tuple[list[Any], list[tuple[str, bool]]]:
    """A list sortable by the moment column ``moment``, newest first, ties broken by id (the
    ``column_sortable_list`` and ``column_default_sort`` of a view)."""
    return [(moment, (moment, "id"))], [(moment, True), ("id", True)]


# Formatters


def moment_type(view: Any, value: datetime, name: str) -> str:
    """Flask-Admin's type formatter of every moment a view shows without a formatter of its
    own (when a classroom or quest was created): on the reader's clock, to the minute (the
    column's label names the zone)."""
    return format_moment(value)


def shown(read: Callable[[Any], Any]) -> Formatter:
    """A column showing ``read(row)``."""

    def show(view: Any, context: Any, row: Any, name: str) -> Any:
        return read(row)

    return show


def moment(missing: Any = "—") -> Formatter:
    """The column's moment on the reader's clock, to the minute; ``missing`` where it has
    none."""

    def show_moment(view: Any, context: Any, row: Any, name: str) -> str:
        value = getattr(row, name)
        return str(missing) if value is None else format_moment(value)

    return show_moment


def labelled(labels: Mapping[Any, Any]) -> Formatter:
    """The column's value by its label in ``labels`` (the value itself where it has none)."""

    def show_label(view: Any, context: Any, row: Any, name: str) -> Any:
        value = getattr(row, name)
        return str(labels[value]) if value in labels else value

    return show_label


def person(missing: Any) -> Formatter:
    """The name of the person in the column (an author, a reviewer); ``missing`` for nobody."""

    def show_person(view: Any, context: Any, row: Any, name: str) -> str:
        someone = getattr(row, name)
        return str(missing) if someone is None else someone.display_name

    return show_person


def duration(read: Callable[[Any], float | None]) -> Formatter:
    """A length of time, ``read(row)`` in seconds, shortly ("4 min 5 s"); a dash for none."""
    return shown(lambda row: short_duration(seconds) if (seconds := read(row)) else "—")


def stage_name(stage: Any) -> str:
    """A stage as lists name it: its position and title ("3. Show your login")."""
    return f"{stage.position}. {stage.title}"


student_name = shown(lambda row: row.student.display_name)
student_username = shown(lambda row: row.student.username)
quest_title = shown(lambda row: row.quest.title)
classroom_name = shown(lambda row: row.classroom.name)
stage_title = shown(lambda row: stage_name(row.stage))


# Filters


def no_choices(view: Any) -> list[tuple[str, str]]:
    return []


# Flask-Admin ships no types: its filter base class is Any to a type checker.
class ChoiceFilter(BaseSQLAFilter):  # type: ignore[misc]
    """A filter whose value is one of a few choices; an empty value means "any".

    Our list template shows each filter as a plain ``<select>`` in a GET form, so a filter left
    at "any" arrives as an empty value and must change nothing. ``valid`` says whether a value
    may be one of the choices (checked before any query), ``condition`` turns it into a SQL
    condition, and ``choices`` lists them for the current user (they may be scoped).
    """

    def __init__(
        self,
        column: Any,
        name: str,
        *,
        key: str,
        condition: Callable[[str], ColumnElement[bool]],
        valid: Callable[[str], bool],
        choices: Choices = no_choices,
    ) -> None:
        super().__init__(column, name)
        self.key = key
        self.condition = condition
        self.valid = valid
        self.choices = choices

    def validate(self, value: str) -> bool:
        return value == "" or self.valid(value)

    def apply(self, query: Query[Any], value: str, alias: Any = None) -> Query[Any]:
        return query if value == "" else query.filter(self.condition(value))

    def operation(self) -> str:
        return "equals"


def label_choices(labels: Mapping[Any, Any]) -> Choices:
    """The choices of ``labels``: each key, shown by its label."""
    return lambda view: [(str(value), str(label)) for value, label in labels.items()]


def labels_filter(
    column: Any,
    name: str,
    key: str,
    labels: Mapping[Any, Any],
    condition: Callable[[str], ColumnElement[bool]] | None = None,
) -> ChoiceFilter:
    """A filter called ``name`` (``key`` in the address) on one of ``labels``' keys: by default
    the rows whose ``column`` has that value, else those meeting ``condition(value)``."""
    return ChoiceFilter(
        column,
        name,
        key=key,
        valid=lambda value: value in labels,
        condition=condition or (lambda value: column == value),
        choices=label_choices(labels),
    )


def id_filter(
    column: Any,
    name: str,
    key: str,
    choices: Choices,
    condition: Callable[[int], ColumnElement[bool]] | None = None,
) -> ChoiceFilter:
    """A filter called ``name`` (``key`` in the address) on a record id among ``choices``: by
    default the rows whose ``column`` is that id, else those meeting ``condition(id)``."""

    def chosen(value: str) -> ColumnElement[bool]:
        record = int(value)
        return column == record if condition is None else condition(record)

    return ChoiceFilter(
        column, name, key=key, valid=is_record_id, condition=chosen, choices=choices
    )


def word_filter(column: Any, name: str, key: str, choices: Choices) -> ChoiceFilter:
    """A filter called ``name`` (``key`` in the address) on a word the rows hold in ``column``
    (an action, a table's name): lower case letters and ``_``, among ``choices``."""
    length = column.type.length
    return ChoiceFilter(
        column,
        name,
        key=key,
        valid=lambda value: re.fullmatch(rf"[a-z_]{{1,{length}}}", value) is not None,
        condition=lambda value: column == value,
        choices=choices,
    )


def visible_classrooms(view: Any) -> list[tuple[str, str]]:
    """The classrooms the current user may see, as choices."""
    return classroom_choices(current_user)


def classroom_filter(
    *, student: SQLColumnExpression[int], quest: SQLColumnExpression[int] | None = None
) -> ChoiceFilter:
    """Rows of a classroom's students ("by classroom"); with ``quest``, only the rows on quests
    that classroom was given (attempts, achievements)."""

    def condition(value: str) -> ColumnElement[bool]:
        if quest is None:
            return student.in_(enrolled_in([int(value)]))
        return work_in_classroom(int(value), student_id=student, quest_id=quest)

    return ChoiceFilter(
        student,
        _l("Classroom"),
        key="classroom",
        valid=is_record_id,
        condition=condition,
        choices=visible_classrooms,
    )


def work_filters(
    *, student: SQLColumnExpression[int], quest: SQLColumnExpression[int]
) -> list[ChoiceFilter]:
    """The filters of a list of students' work on quests (attempts, achievements): by
    classroom, then by quest (those given to the current user's classrooms)."""
    return [
        classroom_filter(student=student, quest=quest),
        id_filter(quest, _l("Quest"), "quest", assigned_quests),
    ]


def assigned_quests(view: Any) -> list[tuple[str, str]]:
    """The quests given to the current user's classrooms (an admin's: to any), as choices."""
    # EXISTS rather than a join and DISTINCT: one index probe per quest, not a scan of every
    # assignment of the school.
    given = select(QuestAssignment.id).where(QuestAssignment.quest_id == Quest.id)
    if not current_user.is_admin:
        classrooms = classrooms_taught_by(current_user.id)
        given = given.where(QuestAssignment.classroom_id.in_(classrooms))
    query = select(Quest.id, Quest.title).where(given.exists())
    rows = db.session.execute(query.order_by(Quest.title, Quest.id))
    return [(str(quest_id), title) for quest_id, title in rows]


def since(period: str) -> datetime:
    """The start of a period of PERIOD_LABELS: midnight today on the reader's clock, or so
    many days ago."""
    now = utcnow()
    if period == "today":
        return local_midnight(now)
    return now - timedelta(days=int(period))


def period_filter(column: Any, name: str) -> ChoiceFilter:
    """A filter of rows whose ``column`` falls in one of the PERIOD_LABELS periods."""
    return labels_filter(column, name, "date", PERIOD_LABELS, lambda value: column >= since(value))
