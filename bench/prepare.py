"""The setup of the scenarios that answer quizzes: quizzes without a tries limit, and who.

Run by the portal, answers and costs scenarios as ``python -m bench.prepare <quizzes>``, with
the bench database in DATABASE_URL, after the demo and a scale classroom were seeded. Through
the quest services it gives the largest classroom ``<quizzes>`` copies of a demo quest whose
quiz comes first and takes any number of tries, so quiz answers can be submitted for as long as
the bench runs: each measured run answers its own copy, so every run starts with students who
have not tried it yet. Prints, as JSON,
the classroom, its students (most attempts first) with a quiz stage each has reached, and the
unlimited quizzes with two answers (right, wrong) that move the points of a student who sends
them in turn.
"""

from __future__ import annotations

import json
import sys
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
from quest_platform.services.quests import assign_quest, create_quest, publish_quest
from seeds.load import load_quest_files, stage_drafts

BENCH_QUEST = "bench-unlimited-quiz"


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


def unlimited_quiz(classroom_id: int, number: int) -> Stage:
    """A quest whose first stage is a quiz without a tries limit that counts the latest try and
    never shows its answers (a quiz that shows them once passed takes no more tries), given to
    the classroom."""
    document = load_quest_files()[0]
    drafts = stage_drafts(document)
    quiz = next(draft for draft in drafts if draft.kind == StageKind.QUIZ.value)
    settings = {key: value for key, value in quiz.settings.items() if key != "max_tries"}
    settings["score_policy"] = "latest"
    settings["reveal_answers"] = "never"
    drafts = [replace(quiz, settings=settings), *(draft for draft in drafts if draft is not quiz)]
    author = db.session.scalar(select(User).where(User.username == "admin"))
    quest = create_quest(
        slug=f"{BENCH_QUEST}-{number}",
        title=f"{document['title']} (practice {number})",
        theme=document["theme"],
        summary=document["summary"],
        stages=drafts,
        author=author,
    )
    return given_to(classroom_id, quest=quest, author=author)


def given_to(classroom_id: int, *, quest: Quest, author: User | None) -> Stage:
    """Publish ``quest`` and give it to the classroom, open for a month; its first stage."""
    publish_quest(quest=quest, by=author)
    now = utcnow()
    classroom = db.session.get(Classroom, classroom_id)
    if classroom is None:
        raise SystemExit(f"no classroom {classroom_id}")
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


def answers(stage: Stage) -> list[str]:
    """Two whole answers to the quiz, form-encoded: every question right, then every one wrong.

    The bench quizzes count the latest try, so a student's answers taking turns between the two
    move their points every time: each records an attempt and a points entry, as a first answer
    does in class.
    """
    right, wrong = {}, {}
    for question in stage.questions:
        name = f"q-{question['id']}"
        if question.get("type") == "short":
            right[name], wrong[name] = question["accepted"][0], "no idea"
        else:
            correct = list(question.get("answer", []))
            right[name] = correct
            others = [i for i in range(len(question["choices"])) if i not in correct]
            wrong[name] = others[:1]
    return [urllib.parse.urlencode(fields, doseq=True) for fields in (right, wrong)]


def main(quizzes: int) -> None:
    """Prepare the unlimited quizzes and print the scenario's facts as JSON."""
    app = create_app()
    with app.app_context():
        classroom_id = largest_classroom()
        stages = [unlimited_quiz(classroom_id, number) for number in range(1, quizzes + 1)]
        students = students_by_activity(classroom_id)
        facts = {
            "classroom": classroom_id,
            "enrolled": len(students),
            "classroom_attempts": sum(student["attempts"] for student in students),
            "attempts": db.session.scalar(select(func.count()).select_from(Attempt)),
            "students": students,
            "quizzes": [
                {
                    "slug": stage.quest.slug,
                    "position": stage.position,
                    "answers": answers(stage),
                }
                for stage in stages
            ],
        }
    print(json.dumps(facts))


if __name__ == "__main__":
    main(int(sys.argv[1]))
