"""The fault scenario's work in the database, run in a process of its own on the run's database.

``python -m bench.fault_data prepare <classroom> <quiz slug>...``: gives the classroom
CHECKPOINTS quests whose first stage is a checkpoint taking a screenshot (each student hands one
in per quest, so the disk fault has uploads to refuse), and prints, as JSON, those stages and
each quiz's answers (right, then wrong) as the API takes them.

``python -m bench.fault_data check <file>``: with the submission keys the clients sent (a JSON
list in ``file``), prints what the database holds: each stored key's attempt and when it was
submitted, keys stored more than once, the points ledger against the attempts for every
student–stage pair of the classroom, and the uploads against their rows.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from bench.prepare import given_to
from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    Enrollment,
    EvidenceFile,
    PointsEntry,
    PointsReason,
    Quest,
    QuestTally,
    Stage,
    StageKind,
    StageTally,
    User,
)
from quest_platform.queries.attempts import current_results
from quest_platform.services.quests import create_quest
from quest_platform.services.tallies import counted_points, strongest
from seeds.load import load_quest_files, stage_drafts

CHECKPOINTS = 4
CHECKPOINT_QUEST = "bench-fault-checkpoint"


def checkpoint_quest(classroom_id: int, number: int) -> Stage:
    """A quest whose first stage is a checkpoint asking for a screenshot only, given to the
    classroom."""
    document = next(
        document
        for document in load_quest_files()
        if any(stage["kind"] == StageKind.CHECKPOINT.value for stage in document["stages"])
    )
    drafts = stage_drafts(document)
    checkpoint = next(draft for draft in drafts if draft.kind == StageKind.CHECKPOINT.value)
    settings = {key: value for key, value in checkpoint.settings.items() if key != "team"}
    settings["evidence"] = ["screenshot"]
    first = replace(checkpoint, settings=settings)
    author = db.session.scalar(select(User).where(User.username == "admin"))
    quest = create_quest(
        slug=f"{CHECKPOINT_QUEST}-{number}",
        title=f"{document['title']} (screenshot {number})",
        theme=document["theme"],
        summary=document["summary"],
        stages=[first, *(draft for draft in drafts if draft is not checkpoint)],
        author=author,
    )
    return given_to(classroom_id, quest=quest, author=author)


def api_answers(stage: Stage) -> list[dict[str, Any]]:
    """The quiz's answers as the API takes them: every question right, then every one wrong."""
    right: dict[str, Any] = {}
    wrong: dict[str, Any] = {}
    for question in stage.questions:
        name = str(question["id"])
        if question.get("type") == "short":
            right[name], wrong[name] = question["accepted"][0], "no idea"
        else:
            correct = list(question.get("answer", []))
            right[name] = correct
            wrong[name] = [i for i in range(len(question["choices"])) if i not in correct][:1]
    return [{"responses": right}, {"responses": wrong}]


def prepare(classroom_id: int, quiz_slugs: list[str]) -> dict[str, Any]:
    """The checkpoints made, and the quizzes' API answers by slug."""
    stages = [checkpoint_quest(classroom_id, number) for number in range(1, CHECKPOINTS + 1)]
    quizzes = {}
    for slug in quiz_slugs:
        quest = db.session.scalars(select(Quest).where(Quest.slug == slug)).one()
        quizzes[slug] = api_answers(quest.stages[0])
    return {
        "checkpoints": [{"slug": stage.quest.slug, "position": stage.position} for stage in stages],
        "api_answers": quizzes,
    }


def epoch(moment: datetime) -> float:
    """A stored time as seconds since the epoch (stored times are UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def stored_keys(keys: list[str]) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """Each stored key's attempt id and submission time, and the keys stored more than once."""
    stored: dict[str, list[Any]] = {}
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(keys), 1000):
        rows = db.session.execute(
            select(Attempt.submission_key, Attempt.id, Attempt.submitted_at).where(
                Attempt.submission_key.in_(keys[start : start + 1000])
            )
        )
        for key, attempt_id, submitted_at in rows:
            if key is None:
                continue
            counts[key] += 1
            stored[key] = [attempt_id, epoch(submitted_at)]
    return stored, {key: count for key, count in counts.items() if count > 1}


def ledger_check(classroom_id: int) -> dict[str, Any]:
    """For every student–stage pair of the classroom with attempts: the stage's tally (tries,
    outcome, points) against the attempts' current results, and the points against the ledger's
    stage-score entries; for every student–quest pair, the quest's tally against all its
    entries. Returns the pairs checked and the first mismatches."""
    students = db.session.scalars(
        select(Enrollment.student_id).where(Enrollment.classroom_id == classroom_id)
    ).all()
    problems: list[str] = []
    pairs = 0
    for student_id in students:
        stage_ids = db.session.scalars(
            select(Attempt.stage_id).where(Attempt.student_id == student_id).distinct()
        ).all()
        stages = {
            stage.id: stage
            for stage in db.session.scalars(select(Stage).where(Stage.id.in_(stage_ids)))
        }
        results = current_results(student_id=student_id, stage_ids=list(stage_ids))
        by_stage: dict[int, list[Any]] = defaultdict(list)
        for result in results:
            by_stage[result.stage_id].append(result)
        entries = dict(
            db.session.execute(
                select(PointsEntry.stage_id, func.sum(PointsEntry.points))
                .where(
                    PointsEntry.student_id == student_id,
                    PointsEntry.reason == PointsReason.STAGE_SCORE.value,
                )
                .group_by(PointsEntry.stage_id)
            ).all()
        )
        tallies = {
            tally.stage_id: tally
            for tally in db.session.scalars(
                select(StageTally).where(StageTally.student_id == student_id)
            )
        }
        for stage_id, mine in by_stage.items():
            pairs += 1
            stage = stages[stage_id]
            tally = tallies.get(stage_id)
            counted = counted_points(stage, [result.score for result in mine])
            seen = (
                None
                if tally is None
                else (tally.tries, tally.outcome, tally.points, int(entries.get(stage_id) or 0))
            )
            expected = (len(mine), strongest(r.outcome for r in mine), counted, counted)
            if seen != expected:
                problems.append(
                    f"student {student_id} stage {stage_id}: tally (tries, outcome, points,"
                    f" ledger) {seen}, attempts say {expected}"
                )
        quest_entries = dict(
            db.session.execute(
                select(PointsEntry.quest_id, func.sum(PointsEntry.points))
                .where(PointsEntry.student_id == student_id)
                .group_by(PointsEntry.quest_id)
            ).all()
        )
        for quest_tally in db.session.scalars(
            select(QuestTally).where(QuestTally.student_id == student_id)
        ):
            ledger = int(quest_entries.get(quest_tally.quest_id) or 0)
            if quest_tally.points != ledger:
                problems.append(
                    f"student {student_id} quest {quest_tally.quest_id}: tally"
                    f" {quest_tally.points} points, ledger {ledger}"
                )
    return {"pairs": pairs, "mismatches": len(problems), "examples": problems[:10]}


def uploads_check() -> dict[str, Any]:
    """The upload folder against the evidence rows: files without a row (orphans, temporary
    files), rows without a file, and empty files."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    names = set(db.session.scalars(select(EvidenceFile.stored_name)).all())
    files = {
        path.name: path.stat().st_size
        for path in folder.iterdir()
        if path.is_file() and not path.name.startswith(".fault-")
    }
    return {
        "rows": len(names),
        "files": len(files),
        "empty_files": sorted(name for name, size in files.items() if size == 0),
        "files_without_row": sorted(set(files) - names),
        "rows_without_file": sorted(names - set(files)),
    }


def check(keys_file: Path, classroom_id: int) -> dict[str, Any]:
    """What the database holds of the clients' keys, the ledger check, the uploads check."""
    keys = json.loads(keys_file.read_text())
    stored, duplicates = stored_keys(keys)
    return {
        "stored": stored,
        "duplicates": duplicates,
        "ledger": ledger_check(classroom_id),
        "uploads": uploads_check(),
    }


def main(arguments: list[str]) -> None:
    """Run ``prepare`` or ``check`` and print its JSON."""
    app = create_app()
    with app.app_context():
        if arguments[0] == "prepare":
            facts = prepare(int(arguments[1]), arguments[2:])
        else:
            facts = check(Path(arguments[1]), int(arguments[2]))
    print(json.dumps(facts))


if __name__ == "__main__":
    main(sys.argv[1:])
