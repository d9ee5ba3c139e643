"""The portal scenario's setup: a quiz without a tries limit, and who and what to measure.

Run by ``python -m bench portal`` with the bench database in DATABASE_URL, after the demo and a
scale classroom were seeded. Through the quest services it gives the largest classroom a copy
of a demo quest whose quiz comes first and takes any number of tries, so quiz answers can be
submitted for as long as the bench runs. Prints, as JSON, the classroom, its students (most
attempts first) with a quiz stage each has reached, and the unlimited quiz with one answer.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Classroom,
    Enrollment,
    Quest,
    Stage,
    StageKind,
    User,
    utcnow,
)
from quest_platform.services.grading import questions_of
from quest_platform.services.quests import assign_quest, create_quest, publish_quest
from seeds.load import load_quest_files, stage_drafts

BENCH_QUEST = "bench-unlimited-quiz"
CANDIDATES = 40


def largest_classroom() -> int:
    """The id of the classroom with the most students."""
    count = func.count(Enrollment.student_id)
    query = (
        select(Enrollment.classroom_id)
        .group_by(Enrollment.classroom_id)
        .order_by(count.desc())
        .limit(1)
    )
    return db.session.scalars(query).one()


def unlimited_quiz(classroom_id: int) -> Stage:
    """A quest whose first stage is a quiz without a tries limit, given to the classroom."""
    document = load_quest_files()[0]
    drafts = stage_drafts(document)
    quiz = next(draft for draft in drafts if draft.kind == StageKind.QUIZ.value)
    settings = {key: value for key, value in quiz.settings.items() if key != "max_tries"}
    drafts = [replace(quiz, settings=settings), *(draft for draft in drafts if draft is not quiz)]
    author = db.session.scalar(select(User).where(User.username == "admin"))
    quest = create_quest(
        slug=BENCH_QUEST,
        title=f"{document['title']} (practice)",
        theme=document["theme"],
        summary=document["summary"],
        stages=drafts,
        author=author,
    )
    publish_quest(quest=quest, by=author)
    now = utcnow()
    classroom = db.session.get(Classroom, classroom_id)
    assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=30),
        by=author,
    )
    db.session.commit()
    return quest.stages[0]


def students_by_activity(classroom_id: int) -> list[dict[str, Any]]:
    """The classroom's students, most attempts first, each with the last quiz stage they tried."""
    attempts = func.count(Attempt.id)
    rows = db.session.execute(
        select(User.id, User.username, attempts)
        .join(Enrollment, Enrollment.student_id == User.id)
        .outerjoin(Attempt, Attempt.student_id == User.id)
        .where(Enrollment.classroom_id == classroom_id)
        .group_by(User.id, User.username)
        .order_by(attempts.desc(), User.id)
    ).all()
    students = []
    for student_id, username, count in rows:
        quiz = db.session.execute(
            select(Quest.slug, Stage.position)
            .join(Stage, Stage.quest_id == Quest.id)
            .join(Attempt, Attempt.stage_id == Stage.id)
            .where(Attempt.student_id == student_id, Stage.kind == StageKind.QUIZ.value)
            .order_by(Attempt.id.desc())
            .limit(1)
        ).first()
        students.append(
            {
                "username": username,
                "attempts": count,
                "quiz": None if quiz is None else {"slug": quiz.slug, "position": quiz.position},
            }
        )
    return students


def answers(stage: Stage) -> str:
    """A whole answer to the quiz, form-encoded: the first choice, or a word for short ones."""
    fields = {}
    for question in questions_of(stage):
        short = question.get("type") == "short"
        fields[f"q-{question['id']}"] = "cookie" if short else "0"
    return urllib.parse.urlencode(fields)


def main() -> None:
    """Prepare the unlimited quiz and print the scenario's facts as JSON."""
    app = create_app()
    with app.app_context():
        classroom_id = largest_classroom()
        stage = unlimited_quiz(classroom_id)
        students = students_by_activity(classroom_id)
        facts = {
            "classroom": classroom_id,
            "enrolled": len(students),
            "classroom_attempts": sum(student["attempts"] for student in students),
            "attempts": db.session.scalar(select(func.count()).select_from(Attempt)),
            "students": students[:CANDIDATES],
            "submit": {
                "slug": BENCH_QUEST,
                "position": stage.position,
                "answers": answers(stage),
            },
        }
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
