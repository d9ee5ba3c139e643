"""What a report covers: a classroom and a quest named on the command line, checked."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import exists, select

from quest_platform.extensions import db
from quest_platform.models import Classroom, Quest, QuestAssignment


class ReportRefused(Exception):
    """A report that cannot be made as asked, with the reason in plain words."""


@dataclass(frozen=True)
class ReportScope:
    """One classroom or every one, and one quest or every one."""

    classroom: Classroom | None
    quest: Quest | None

    @property
    def classroom_ids(self) -> list[int] | None:
        """The classrooms to read, or None for every one."""
        return None if self.classroom is None else [self.classroom.id]


def classroom_to_report(classroom_id: int) -> Classroom:
    """The classroom ``classroom_id``, or ReportRefused if there is none."""
    classroom = db.session.get(Classroom, classroom_id)
    if classroom is None:
        raise ReportRefused(gettext("There is no classroom %(id)d.", id=classroom_id))
    return classroom


def report_scope(*, classroom_id: int | None, quest: str | None) -> ReportScope:
    """The scope named by a classroom id and a quest's slug or id, or ReportRefused."""
    classroom = None if classroom_id is None else classroom_to_report(classroom_id)
    found = None
    if quest is not None:
        by = Quest.id == int(quest) if quest.isdigit() else Quest.slug == quest
        found = db.session.scalar(select(Quest).where(by))
        if found is None:
            raise ReportRefused(gettext("There is no quest “%(quest)s”.", quest=quest))
        assigned = exists().where(QuestAssignment.quest_id == found.id)
        if classroom is not None:
            assigned = assigned.where(QuestAssignment.classroom_id == classroom.id)
        if not db.session.scalar(select(assigned)):
            where = classroom.name if classroom is not None else gettext("any classroom")
            raise ReportRefused(
                gettext(
                    "The quest “%(quest)s” is not assigned to %(where)s: there is nothing to "
                    "report on it.",
                    quest=found.title,
                    where=where,
                )
            )
    return ReportScope(classroom=classroom, quest=found)
