"""A classroom's gradebook: each student's best score on each stage of its quests, for Canvas.

The layout is described in docs/gradebook.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import joinedload

from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    Enrollment,
    Quest,
    QuestAssignment,
    Review,
    Stage,
    User,
)
from quest_platform.queries.classrooms import roster_of

# The columns Canvas expects before the assignments, in its order and spelling.
STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"


@dataclass(frozen=True)
class Gradebook:
    """A classroom's students, the stages of its quests, and the points each student earned."""

    classroom: Classroom
    students: list[User]
    stages: list[Stage]
    # Points earned, by (student id, stage id); missing where a student has no scored attempt.
    points: dict[tuple[int, int], float]


def effective_score() -> ColumnElement[float | None]:
    """An attempt's score that counts: its latest review's, else its own (None while waiting)."""
    latest_review = (
        select(Review.score)
        .where(Review.attempt_id == Attempt.id)
        .order_by(Review.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest_review, Attempt.score)


def gradebook_of(classroom: Classroom) -> Gradebook:
    """Each student's best effective score on each stage of the classroom's quests, in points.

    A stage's best score is scaled to the stage's points (score / max score × points), so an
    attempt scored out of an older maximum still counts fairly.
    """
    stages = list(
        db.session.scalars(
            select(Stage)
            .join(QuestAssignment, QuestAssignment.quest_id == Stage.quest_id)
            .join(Quest, Quest.id == Stage.quest_id)
            .where(QuestAssignment.classroom_id == classroom.id)
            .order_by(QuestAssignment.opens_at, Quest.title, Quest.id, Stage.position)
            .options(joinedload(Stage.quest))
        )
    )
    ratio = case((Attempt.max_score > 0, effective_score() / Attempt.max_score))
    students = select(Enrollment.student_id).where(Enrollment.classroom_id == classroom.id)
    rows = db.session.execute(
        select(Attempt.student_id, Attempt.stage_id, func.max(ratio))
        .where(
            Attempt.student_id.in_(students),
            Attempt.stage_id.in_([stage.id for stage in stages]),
        )
        .group_by(Attempt.student_id, Attempt.stage_id)
    )
    points_of = {stage.id: stage.points for stage in stages}
    points = {
        (student_id, stage_id): round(best * points_of[stage_id], 2)
        for student_id, stage_id, best in rows
        if best is not None
    }
    return Gradebook(
        classroom=classroom, students=roster_of(classroom), stages=stages, points=points
    )


def stage_heading(stage: Stage) -> str:
    """A gradebook column's name: quest, stage number and title, and the points possible.

    The points read "10 pts", never "(10)": Canvas takes a number in brackets at the end of a
    heading for the id of one of its own assignments.
    """
    return f"{stage.quest.title}: {stage.position}. {stage.title} ({stage.points} pts)"


def number(value: float) -> str:
    """A score as Canvas and spreadsheets read it: "8", "8.5", "8.25"."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def gradebook_rows(gradebook: Gradebook) -> list[list[str]]:
    """The gradebook as rows of text: headings, the points possible, then one row per student.

    Names and titles are as people typed them: whoever writes the rows to a file guards them
    against being run as spreadsheet formulas.
    """
    rows = [
        [*STUDENT_COLUMNS, *(stage_heading(stage) for stage in gradebook.stages)],
        [POINTS_POSSIBLE, "", "", "", "", *(str(stage.points) for stage in gradebook.stages)],
    ]
    for student in gradebook.students:
        scores = (gradebook.points.get((student.id, stage.id)) for stage in gradebook.stages)
        rows.append(
            [
                student.display_name,
                "",
                "",
                student.username,
                gradebook.classroom.name,
                *("" if score is None else number(score) for score in scores),
            ]
        )
    return rows
