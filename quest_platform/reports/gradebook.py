"""The gradebook as a report: the same rows as the admin's Canvas CSV (docs/gradebook.md)."""

from __future__ import annotations

from flask_babel import gettext, ngettext

from quest_platform.models import Classroom, utcnow
from quest_platform.queries.gradebook import gradebook_of, gradebook_rows
from quest_platform.reports.document import Report, Table


def classroom_gradebook(classroom: Classroom) -> Report:
    """A classroom's gradebook: a row per student, a column per stage, points as they count."""
    gradebook = gradebook_of(classroom)
    header, *rows = gradebook_rows(gradebook)
    return Report(
        title=gettext("Gradebook: %(classroom)s", classroom=classroom.name),
        scope=ngettext("%(num)d student", "%(num)d students", len(gradebook.students)),
        computed_at=utcnow(),
        tables=(
            Table(
                caption=gettext("Gradebook"),
                header=tuple(header),
                rows=tuple(tuple(row) for row in rows),
                empty_text=gettext("No students are enrolled in this classroom yet."),
            ),
        ),
    )
