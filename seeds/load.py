"""Writing demo and scale data through the same services the platform uses."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
import yaml
from flask import current_app
from flask_security import hash_password
from sqlalchemy import func, insert, select

from analytics.engagement import weekly_engagement
from analytics.load import load_dataset
from quest_platform.extensions import db
from quest_platform.models import (
    TEAM_SIZE,
    Attempt,
    Classroom,
    Enrollment,
    Outcome,
    PointsEntry,
    PointsReason,
    Quest,
    QuestAssignment,
    QuestStatus,
    QuestTally,
    Role,
    RoleName,
    Stage,
    StageKind,
    StageTally,
    User,
    roles_users,
    utcnow,
)
from quest_platform.queries.peer_review import levels_of
from quest_platform.queries.teams import teams_of
from quest_platform.services.accounts import create_user, ensure_roles, generate_password
from quest_platform.services.achievements import ensure_achievements
from quest_platform.services.analytics import refresh_analytics
from quest_platform.services.classrooms import create_classroom
from quest_platform.services.grading import grade_quiz, parse_quiz
from quest_platform.services.office_hours import book_slot, offer_slots
from quest_platform.services.peer_review import assign_peer_reviews, submit_peer_review
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest
from quest_platform.services.tallies import points_after, stronger
from quest_platform.services.teams import Forming, form_teams, set_scrum_master
from seeds.roster import make_students
from seeds.simulate import QuestSpec, SimulatedAttempt, StageSpec, simulate_cohort

QUEST_DIR = Path(__file__).parent / "data" / "quests"
EVIDENCE_FILE = Path(__file__).parent / "data" / "evidence.yaml"
DEMO_TERM = "2026–27 Trimester 2"
DEMO_WEEKS = 4
BATCH_SIZE = 2000

T = TypeVar("T")
Echo = Callable[[str], Any]


class SeedRefused(RuntimeError):
    """Seeding would damage or duplicate existing data; nothing was changed."""


@dataclass(frozen=True)
class DemoClassroom:
    """A demo classroom: its name, period, teacher, the quest slugs it is assigned, and the
    language of its students' generated leaderboard names."""

    name: str
    period: int
    teacher: str
    quests: tuple[str, ...]
    language: str = "en"


DEMO_STAFF = (
    ("admin", "Avery Admin", RoleName.ADMIN),
    ("ms.rivera", "Elena Rivera", RoleName.TEACHER),
    ("mr.chen", "David Chen", RoleName.TEACHER),
)
# Each classroom's quests in the order of DEMO_WINDOWS: overdue, due this week, opening next week.
DEMO_CLASSROOMS = (
    DemoClassroom(
        "AP CSP — Period 1",
        1,
        "ms.rivera",
        ("west-coast-login", "west-coast-data", "digital-famine-login"),
    ),
    DemoClassroom(
        "AP CSP — Period 3",
        3,
        "ms.rivera",
        ("digital-famine-login", "digital-famine-data", "west-coast-login"),
        language="es",
    ),
    DemoClassroom(
        "AP CSP — Period 5",
        5,
        "mr.chen",
        ("west-coast-login", "digital-famine-data", "west-coast-data"),
    ),
)
DEMO_STUDENTS = 60
# The fictional demo school is on the West Coast; its students work in its school hours.
DEMO_TIME_ZONE = ZoneInfo("America/Los_Angeles")
# The demo's clock stops at noon of the day it is seeded: the morning's classes have worked.
DEMO_NOON = time(12, 0)
# When a classroom's quests open and are due, in days from the day the demo is seeded: the
# first was due a few days ago (stragglers are still at it), the second opened three days ago
# and is due in three (most students are on it, their checkpoints waiting for review), the
# third opens next week.
DEMO_WINDOWS = ((-17, -4), (-3, 3), (7, 24))
OPENS_AT = time(8, 0)
DUE_AT = time(23, 59)
# Students join their classroom a week before its first quest opens, and a teacher gives each
# quest a few days before it opens: analytics as of a past moment of the seeded term see the
# roster and the quests that were there then.
ENROLLED_BEFORE = timedelta(days=7)
ASSIGNED_BEFORE = timedelta(days=3)


@dataclass(frozen=True)
class DemoCalendar:
    """The demo's moments, counted from the day it is seeded in the school's time zone.

    Everything the demo dates comes from ``day`` alone, never from the clock, so seeding with
    the same day gives the same data, and a later day moves all of it forward.
    """

    day: date
    time_zone: tzinfo = DEMO_TIME_ZONE

    @classmethod
    def today(cls, time_zone: tzinfo = DEMO_TIME_ZONE) -> DemoCalendar:
        """The calendar of the school's today."""
        return cls(day=datetime.now(time_zone).date(), time_zone=time_zone)

    def at(self, days: int, clock: time) -> datetime:
        """``clock`` o'clock in the school, ``days`` days after the seed day, in UTC."""
        local = datetime.combine(self.day + timedelta(days=days), clock, self.time_zone)
        return local.astimezone(UTC)

    @property
    def now(self) -> datetime:
        """The demo's present: noon of the seed day."""
        return self.at(0, DEMO_NOON)

    def window(self, number: int) -> tuple[datetime, datetime]:
        """When a classroom's quest ``number`` (from 0) opens and is due."""
        opens, due = DEMO_WINDOWS[number]
        return self.at(opens, OPENS_AT), self.at(due, DUE_AT)


def database_is_empty() -> bool:
    """Whether the database holds no users yet."""
    return db.session.scalar(select(func.count()).select_from(User)) == 0


def sprint_start(now: datetime, *, weeks: int = DEMO_WEEKS) -> datetime:
    """Return midnight UTC on the Monday that starts a sprint of ``weeks`` weeks ending now."""
    start = (now - timedelta(weeks=weeks)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())


def load_quest_files(directory: Path = QUEST_DIR) -> list[dict[str, Any]]:
    """Read every quest YAML file in ``directory``, sorted by file name."""
    return [yaml.safe_load(path.read_text("utf-8")) for path in sorted(directory.glob("*.yaml"))]


def stage_drafts(document: dict[str, Any]) -> list[StageDraft]:
    """The stages of a quest file, ready for the quest services."""
    return [
        StageDraft(
            kind=stage["kind"],
            title=stage["title"],
            content=stage.get("content", ""),
            points=stage.get("points", 10),
            settings=stage.get("settings") or {},
            time_limit_seconds=stage.get("time_limit_seconds"),
        )
        for stage in document["stages"]
    ]


def create_demo_quests(*, author: User) -> dict[str, Quest]:
    """Create and publish the demo quests through the quest services."""
    quests = {}
    for document in load_quest_files():
        quest = create_quest(
            slug=document["slug"],
            title=document["title"],
            theme=document["theme"],
            summary=document["summary"],
            stages=stage_drafts(document),
            author=author,
        )
        quests[quest.slug] = publish_quest(quest=quest, by=author)
    return quests


def quest_spec(assignment: QuestAssignment) -> QuestSpec:
    """Describe an assigned quest to the cohort simulator."""
    return QuestSpec(
        key=assignment.quest.slug,
        stages=tuple(
            StageSpec(
                position=stage.position,
                kind=stage.kind,
                max_score=float(stage.points),
                time_limit_seconds=stage.time_limit_seconds,
            )
            for stage in assignment.quest.stages
        ),
        opens_at=assignment.opens_at,
        due_at=assignment.due_at,
    )


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_attempts(
    attempts: Sequence[SimulatedAttempt],
    *,
    student_ids: dict[str, int],
    quests: dict[str, Quest],
    label: str,
) -> int:
    """Bulk-insert simulated attempts with their points and tallies, in batches, with a
    progress bar.

    Each attempt gets the ledger entry the attempts service would have added when it was
    submitted, and the students' tallies end as the service would have left them (see
    :class:`SimulatedTallies`), so progress and leaderboards show the simulated work. Returns
    the number of attempts.
    """
    stages = {
        (slug, stage.position): stage for slug, quest in quests.items() for stage in quest.stages
    }
    rows = (
        {
            "student_id": student_ids[attempt.student_key],
            "quest_id": quests[attempt.quest_key].id,
            "stage_id": stages[(attempt.quest_key, attempt.stage_position)].id,
            "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at,
            "answer": attempt.answer,
            "score": attempt.score,
            "max_score": attempt.max_score,
            "outcome": attempt.outcome,
        }
        for attempt in attempts
    )
    tallies = SimulatedTallies({stage.id: stage for stage in stages.values()})
    with click.progressbar(length=len(attempts), label=label, file=None) as bar:
        for batch in batched(rows, BATCH_SIZE):
            ids = db.session.scalars(
                insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True), batch
            ).all()
            entries = [
                tallies.count(row, attempt_id) for row, attempt_id in zip(batch, ids, strict=True)
            ]
            if any(entries):
                db.session.execute(insert(PointsEntry), [entry for entry in entries if entry])
            bar.update(len(batch))
    for rows_of, model in ((tallies.stage_rows(), StageTally), (tallies.quest_rows(), QuestTally)):
        for batch in batched(rows_of, BATCH_SIZE):
            db.session.execute(insert(model), batch)
    return len(attempts)


@dataclass
class SimulatedTallies:
    """The tallies and ledger entries the attempts service keeps, for attempts inserted in bulk
    (oldest first), with the service's rules (services/tallies.py). Achievement bonuses and
    reviews are not simulated."""

    stages: dict[int, Stage]
    by_stage: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    by_quest: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)

    def count(self, row: dict[str, Any], attempt_id: int) -> dict[str, Any] | None:
        """Count an inserted attempt; the ledger entry it adds, if its points change."""
        stage = self.stages[row["stage_id"]]
        student_id, quest_id = row["student_id"], row["quest_id"]
        tally = self.by_stage.setdefault(
            (student_id, stage.id),
            {
                "student_id": student_id,
                "stage_id": stage.id,
                "quest_id": quest_id,
                "tries": 0,
                "outcome": None,
                "points": 0,
            },
        )
        quest_tally = self.by_quest.setdefault(
            (student_id, quest_id),
            {
                "student_id": student_id,
                "quest_id": quest_id,
                "points": 0,
                "bonus_points": 0,
                "best_quiz": None,
                "scored_at": None,
            },
        )
        tally["tries"] += 1
        tally["outcome"] = stronger(tally["outcome"], row["outcome"])
        if stage.is_quiz and row["score"] is not None and row["max_score"] > 0:
            share = row["score"] / row["max_score"]
            quest_tally["best_quiz"] = max(share, quest_tally["best_quiz"] or 0.0)
        difference = points_after(stage, tally["points"], row["score"]) - tally["points"]
        if not difference:
            return None
        tally["points"] += difference
        quest_tally["points"] += difference
        quest_tally["scored_at"] = row["submitted_at"]
        return {
            "student_id": student_id,
            "quest_id": quest_id,
            "stage_id": stage.id,
            "attempt_id": attempt_id,
            "points": difference,
            "reason": PointsReason.STAGE_SCORE.value,
            "created_at": row["submitted_at"],
        }

    def stage_rows(self) -> list[dict[str, Any]]:
        """The stage tallies to insert."""
        return list(self.by_stage.values())

    def quest_rows(self) -> list[dict[str, Any]]:
        """The quest tallies to insert."""
        return list(self.by_quest.values())


def simulate_classroom(
    *,
    classroom: Classroom,
    student_ids: dict[str, int],
    seed: int,
    now: datetime,
    weeks: int | None = None,
    time_zone: tzinfo = UTC,
) -> list[SimulatedAttempt]:
    """Simulate the attempts of a classroom's students on the quests assigned to it, from the
    first opening for ``weeks`` weeks (by default up to ``now``), in ``time_zone``'s hours."""
    assignments = sorted(classroom.assignments, key=lambda assignment: assignment.opens_at)
    if not assignments or not student_ids:
        return []
    start = min(assignment.opens_at for assignment in assignments)
    if weeks is None:
        weeks = max(1, math.ceil((now - start) / timedelta(weeks=1)))
    cohort = simulate_cohort(
        seed=seed,
        student_keys=sorted(student_ids),
        quests=[quest_spec(assignment) for assignment in assignments],
        start=start,
        weeks=weeks,
        now=now,
        time_zone=time_zone,
    )
    return list(cohort.attempts)


def load_evidence(path: Path = EVIDENCE_FILE) -> dict[str, list[str]]:
    """The code snippets demo students hand in at each quest's checkpoint, by quest slug."""
    evidence: dict[str, list[str]] = yaml.safe_load(path.read_text("utf-8"))
    return evidence


def as_recorded(
    attempts: Sequence[SimulatedAttempt],
    *,
    quests: dict[str, Quest],
    evidence: dict[str, list[str]],
) -> list[SimulatedAttempt]:
    """The simulated attempts with answers as the platform records them, so the demo's pages
    show real work: a checkpoint's code snippet, a quiz's responses (graded by the platform's
    own grader, with the simulated outcome), a self-check's ticked items.

    The simulator only says how an attempt went (so many right of so many); the choices made
    here follow from the student and the moment alone, the same on every run.
    """
    stages = {
        (slug, stage.position): stage for slug, quest in quests.items() for stage in quest.stages
    }
    recorded = []
    for attempt in attempts:
        stage = stages[(attempt.quest_key, attempt.stage_position)]
        rng = random.Random(f"{attempt.student_key}:{attempt.submitted_at.isoformat()}")
        if stage.kind == StageKind.CHECKPOINT and evidence.get(attempt.quest_key):
            snippet = rng.choice(evidence[attempt.quest_key])
            attempt = replace(attempt, answer={"evidence": snippet, "screenshot": False})
        elif stage.is_quiz and stage.questions:
            attempt = answered_quiz(attempt, stage, rng)
        elif stage.kind == StageKind.SELF_CHECK:
            items = (stage.settings or {}).get("items", [])
            # The simulator's self-checks all pass, and only every item ticked passes.
            attempt = replace(
                attempt, answer={"ticked": list(range(len(items)))}, score=float(stage.points)
            )
        recorded.append(attempt)
    return recorded


def answered_quiz(attempt: SimulatedAttempt, stage: Stage, rng: random.Random) -> SimulatedAttempt:
    """A simulated quiz attempt with responses that the platform grades as the simulator said.

    As many questions are answered right as the simulated share suggests, moved just enough
    for the platform's pass mark to give the simulated outcome; a late answer stays late.
    """
    questions = stage.questions
    share = attempt.answer.get("correct", 0) / max(1, attempt.answer.get("total", 1))
    wanted = round(share * len(questions))
    late = attempt.outcome == Outcome.LATE
    for right in sorted(range(len(questions) + 1), key=lambda count: abs(count - wanted)):
        chosen = set(rng.sample(range(len(questions)), right))
        responses = {
            str(question["id"]): quiz_response(question, correct=index in chosen)
            for index, question in enumerate(questions)
        }
        grade = grade_quiz(stage, parse_quiz(stage, responses))
        if late or grade.outcome == attempt.outcome:
            return replace(
                attempt,
                answer={"responses": responses},
                score=attempt.score if late else grade.score,
            )
    return attempt


def quiz_response(question: dict[str, Any], *, correct: bool) -> list[int] | str:
    """A response to one quiz question, right or wrong, as a quiz form sends it."""
    if question.get("type") == "short":
        accepted = question.get("accepted") or ["?"]
        return str(accepted[0]) if correct else "not sure"
    answer = sorted(question.get("answer", []))
    if correct:
        return answer
    wrong = [index for index in range(len(question.get("choices", []))) if index not in answer]
    return (
        wrong[:1] if question.get("type") == "single" or not answer else [*answer[1:], *wrong[:1]]
    )


def form_demo_teams(*, classroom: Classroom, teacher: User, seed: int) -> None:
    """Form the classroom's teams as its teacher would (balanced by progress), each with a
    scrum master among its members."""
    rng = random.Random(seed)
    teams = form_teams(
        classroom=classroom, method=Forming.BALANCED, size=TEAM_SIZE, by=teacher, rng=rng
    )
    for team in teams:
        members = sorted(membership.student_id for membership in team.memberships)
        set_scrum_master(team=team, student_id=rng.choice(members), by=teacher)


# The first demo classroom's office hours: four 15-minute check-ins from 15:00, school time.
DEMO_OFFICE_HOURS = time(15, 0)


def offer_demo_office_hours(*, classroom: Classroom, teacher: User, calendar: DemoCalendar) -> None:
    """Offer the classroom four check-ins the day after the seed day (or, for a demo seeded as
    of a past day, the real tomorrow: slots are offered for times to come), the first booked
    by a team's scrum master for the team."""
    days = 1
    if calendar.at(days, DEMO_OFFICE_HOURS) <= utcnow():
        days = (utcnow().astimezone(calendar.time_zone).date() - calendar.day).days + 1
    slots = offer_slots(
        classroom=classroom,
        starts_at=calendar.at(days, DEMO_OFFICE_HOURS),
        minutes=15,
        count=4,
        location="Room 214",
        by=teacher,
    )
    team = next((team for team in teams_of(classroom.id) if team.scrum_master), None)
    if team is not None and team.scrum_master is not None:
        book_slot(
            slot=slots[0],
            by=team.scrum_master,
            team=team,
            topic="Our sprint board and the login quest's checkpoint.",
        )


# What the demo's reviewers write: kind and specific, as the review form asks.
DEMO_REVIEW_COMMENTS = (
    "Your register route hashes the password before it is stored: exactly right. Say so in the"
    " pull request description so a reviewer finds it fast.",
    "Logging in works. After logging out, the profile page still showed your name until I"
    " refreshed: clear the session, then redirect.",
    "The alt text says what the screenshot shows, stop by stop. Nice! One idea: label the"
    " password field, not just its placeholder.",
    "Clear code. The error for a wrong password says which part was wrong; say only that the"
    " username or password is not right.",
    "The profile shows only your own stops, read from the database. Maybe link the issue in"
    " your pull request too.",
)
# The share of the reviews given that their reviewer wrote (the rest still to do, or missed).
DEMO_REVIEWS_WRITTEN = 0.8


def seed_demo_peer_reviews(*, classroom: Classroom, calendar: DemoCalendar, seed: int) -> int:
    """Peer reviews at the classroom's checkpoints that ask for them, as its students would
    have given and written them: each submission, in the order handed in, is given reviewers
    as it was then (services/peer_review.py), and most reviewers wrote theirs within a few
    days. Returns how many reviews were written."""
    rng = random.Random(seed)
    stages = [
        stage
        for assignment in classroom.assignments
        for stage in assignment.quest.stages
        if stage.peer_reviews_wanted
    ]
    written = 0
    for stage in stages:
        in_class = select(Enrollment.student_id).where(Enrollment.classroom_id == classroom.id)
        handed_in = db.session.scalars(
            select(Attempt)
            .where(Attempt.stage_id == stage.id, Attempt.student_id.in_(in_class))
            .order_by(Attempt.submitted_at, Attempt.id)
        ).all()
        given = [
            assignment
            for attempt in handed_in
            for assignment in assign_peer_reviews(attempt=attempt, now=attempt.submitted_at)
        ]
        levels = len(levels_of(stage))
        for assignment in given:
            at = assignment.assigned_at + timedelta(hours=rng.uniform(2, 60))
            if at >= calendar.now or rng.random() > DEMO_REVIEWS_WRITTEN:
                continue
            submit_peer_review(
                assignment=assignment,
                reviewer=assignment.reviewer,
                levels=[rng.randint(1, levels - 1) for _ in stage.rubric],
                comment=rng.choice(DEMO_REVIEW_COMMENTS),
                now=at,
            )
            written += 1
    return written


def write_logins(lines: list[str]) -> Path:
    """Write demo sign-in details to the instance folder, readable by the owner only."""
    path = Path(current_app.config["DEMO_LOGINS_FILE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    path.chmod(0o600)
    return path


def seed_demo(*, seed: int, calendar: DemoCalendar, echo: Echo = print) -> str:
    """Create the demo school as of ``calendar``'s day and return a summary; sign-in details go
    to the logins file.

    Students have worked up to noon of that day in the school's hours, the latest checkpoints
    wait for review, and each classroom has a quest overdue, one due within the week and one
    opening next week (DEMO_WINDOWS).
    """
    now = calendar.now
    # Enrollments and assignments are never dated after the present, the demo's or the real
    # one, whichever is earlier: one dated ahead of the clock (the demo seeded before its noon,
    # or as of a later day) would be missing from analytics of the real present.
    present = min(now, utcnow())
    evidence = load_evidence()
    ensure_roles()
    ensure_achievements()
    logins = ["# Quest Platform demo sign-ins (fictional people; random passwords)", ""]

    staff = {}
    for username, display_name, role in DEMO_STAFF:
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise SeedRefused(f"A user named {username!r} exists already; nothing was changed.")
        password = generate_password()
        staff[username] = create_user(
            username=username, display_name=display_name, password=password, role=role
        )
        logins.append(f"{role.value:<8} {username:<24} {password}")

    echo("Creating quests…")
    quests = create_demo_quests(author=staff["admin"])

    logins += ["", "# Students"]
    people = make_students(seed=seed, count=DEMO_STUDENTS)
    per_classroom = DEMO_STUDENTS // len(DEMO_CLASSROOMS)
    total_attempts = 0
    classrooms = []
    for index, plan in enumerate(DEMO_CLASSROOMS):
        teacher = staff[plan.teacher]
        classroom = create_classroom(
            name=plan.name,
            term=DEMO_TERM,
            period=plan.period,
            teachers=[teacher],
            by=staff["admin"],
        )
        classrooms.append(classroom)
        for number, slug in enumerate(plan.quests):
            opens_at, due_at = calendar.window(number)
            assignment = assign_quest(
                quest=quests[slug],
                classroom=classroom,
                opens_at=opens_at,
                due_at=due_at,
                by=teacher,
            )
            assignment.assigned_at = min(opens_at - ASSIGNED_BEFORE, present)
        enrolled_at = min(calendar.window(0)[0] - ENROLLED_BEFORE, present)
        student_ids = {}
        for person in people[index * per_classroom : (index + 1) * per_classroom]:
            password = generate_password()
            student = create_user(
                username=person.username,
                display_name=person.display_name,
                password=password,
                role=RoleName.STUDENT,
                pseudonym_language=plan.language,
                commit=False,
            )
            db.session.add(
                Enrollment(classroom=classroom, student=student, enrolled_at=enrolled_at)
            )
            db.session.flush()
            student_ids[person.username] = student.id
            logins.append(f"student  {person.username:<24} {password}   ({plan.name})")
        db.session.commit()
        attempts = simulate_classroom(
            classroom=classroom,
            student_ids=student_ids,
            seed=seed + index,
            now=now,
            time_zone=calendar.time_zone,
        )
        attempts = as_recorded(attempts, quests=quests, evidence=evidence)
        total_attempts += insert_attempts(
            attempts, student_ids=student_ids, quests=quests, label=f"Attempts, {plan.name}"
        )
        db.session.commit()
        form_demo_teams(classroom=classroom, teacher=teacher, seed=seed + index)
        seed_demo_peer_reviews(classroom=classroom, calendar=calendar, seed=seed + index)
        if index == 0:
            offer_demo_office_hours(classroom=classroom, teacher=teacher, calendar=calendar)

    # The teachers' dashboards show figures from their first visit. Never dated after the real
    # present (seeded in the morning, the demo's noon is still ahead): a refresh keeps figures
    # newer than its own, so future ones would hide the scheduled refreshes until then.
    echo("Computing the analytics…")
    for classroom in classrooms:
        refresh_analytics(classroom=classroom, now=min(now, utcnow()))

    path = write_logins(logins)
    zone = current_app.config["SCHOOL_TIME_ZONE"]
    weeks = weekly_engagement(load_dataset(db.engine, now=now, zone=zone))
    summary = weeks.assign(week=weeks["week"].dt.date).drop(columns="time_on_task_minutes")
    return "\n".join(
        [
            f"Demo ready: {len(DEMO_STAFF)} staff, {len(DEMO_CLASSROOMS)} classrooms, "
            f"{DEMO_STUDENTS} students, {len(quests)} quests, {total_attempts} attempts, "
            f"as of {calendar.day.isoformat()} noon ({calendar.time_zone}).",
            "Attempts per week:",
            summary.to_string(index=False),
            "",
            *logins[:5],
            f"All demo sign-ins (shown once here) are in {path}.",
        ]
    )


def more_quests(*, count: int, author: User) -> dict[str, Quest]:
    """Return ``count`` published quests for scale data, adding numbered units of the demo ones.

    A course runs a quest or two a week, so a term of scale data needs more quests than the demo
    has; each extra unit is a published copy of a demo quest file with its own slug and title.
    """
    quests = {
        quest.slug: quest
        for quest in db.session.scalars(
            select(Quest).where(Quest.status == QuestStatus.PUBLISHED.value).order_by(Quest.id)
        )
    }
    documents = load_quest_files()
    unit = 2
    while len(quests) < count:
        for document in documents:
            slug = f"{document['slug']}-unit-{unit}"
            if len(quests) >= count or slug in quests:
                continue
            if db.session.scalar(select(Quest.id).where(Quest.slug == slug)) is None:
                quest = create_quest(
                    slug=slug,
                    title=f"{document['title']} (unit {unit})",
                    theme=document["theme"],
                    summary=document["summary"],
                    stages=stage_drafts(document),
                    author=author,
                )
                quests[slug] = publish_quest(quest=quest, by=author)
        unit += 1
    return quests


def seed_students(
    *,
    count: int,
    seed: int,
    echo: Echo = print,
    class_size: int = 30,
    quest_count: int = 2,
    now: datetime | None = None,
) -> str:
    """Add ``count`` students in new classrooms, each given ``quest_count`` quests, in bulk.

    With two quests the cohort works for the demo's four weeks; with more, the term is as many
    weeks as it takes to open one quest a week.
    """
    now = now or utcnow()
    # As in the demo: nothing is dated after the present (``now``, or the clock if earlier).
    present = min(now, utcnow())
    teacher = db.session.scalar(
        select(User).join(User.roles).where(Role.name == RoleName.TEACHER.value).order_by(User.id)
    )
    if teacher is None or database_is_empty():
        raise SeedRefused("Scale data needs the demo first: run `manage.py seed --demo`.")
    quests = more_quests(count=quest_count, author=teacher)
    student_role = ensure_roles()[RoleName.STUDENT.value]
    # Scale students share one random password: hashing thousands with Argon2 takes minutes.
    password = generate_password()
    password_hash = hash_password(password)
    first_id = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    people = make_students(seed=seed, count=count)
    weeks = max(DEMO_WEEKS, quest_count + 2)
    start = sprint_start(now, weeks=weeks)
    enrolled_at = min(start - ENROLLED_BEFORE, present)
    slugs = sorted(quests)[:quest_count]
    total_attempts = 0
    classroom_count = 0
    with click.progressbar(length=count, label="Students", file=None) as bar:
        for batch_number, group in enumerate(batched(people, class_size)):
            classroom = create_classroom(
                name=f"Scale cohort {first_id}-{batch_number + 1}",
                term=DEMO_TERM,
                period=0,
                teachers=[teacher],
            )
            classroom_count += 1
            for number, slug in enumerate(slugs):
                opens_at = start + timedelta(weeks=number)
                db.session.add(
                    QuestAssignment(
                        quest=quests[slug],
                        classroom=classroom,
                        opens_at=opens_at,
                        due_at=opens_at + timedelta(days=16 + 17 * number),
                        assigned_at=min(opens_at - ASSIGNED_BEFORE, present),
                    )
                )
            rows = [
                {
                    "username": f"{person.username}.{first_id + offset}",
                    "display_name": person.display_name,
                    "password": password_hash,
                    "fs_uniquifier": uuid.uuid4().hex,
                    "pseudonym": f"Scout{first_id + offset}",
                }
                for offset, person in enumerate(group, start=batch_number * class_size)
            ]
            ids = db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True), rows
            ).all()
            db.session.execute(
                insert(roles_users), [{"user_id": i, "role_id": student_role.id} for i in ids]
            )
            db.session.execute(
                insert(Enrollment),
                [
                    {"classroom_id": classroom.id, "student_id": i, "enrolled_at": enrolled_at}
                    for i in ids
                ],
            )
            db.session.commit()
            student_ids = {row["username"]: i for row, i in zip(rows, ids, strict=True)}
            attempts = simulate_classroom(
                classroom=classroom,
                student_ids=student_ids,
                seed=seed + batch_number,
                now=now,
                weeks=weeks,
            )
            total_attempts += len(attempts)
            insert_attempts(attempts, student_ids=student_ids, quests=quests, label="  attempts")
            db.session.commit()
            bar.update(len(group))
    return (
        f"Added {count} students in {classroom_count} classrooms with {total_attempts} attempts. "
        f"They share the one-time password {password} (shown once)."
    )
