"""The command line: its commands, seeding the demo and scale data, creating staff accounts.

The demo school is seeded once for the module, into its own empty database (migrated with
`manage.py db upgrade`, as `make run` does); tests that must change data use the suite's database.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_security import verify_password
from helpers import fresh_database, logging_preserved
from openpyxl import load_workbook
from sqlalchemy import func, select

import manage
from quest_platform import create_app
from quest_platform.extensions import db
from quest_platform.models import (
    Attempt,
    AuditEntry,
    Classroom,
    Enrollment,
    Outcome,
    PointsEntry,
    Quest,
    QuestAssignment,
    QuestStatus,
    QuestTally,
    Role,
    RoleName,
    Stage,
    StageTally,
    StudentAnalytics,
    User,
)
from quest_platform.queries.analytics import analytics_computed_at
from quest_platform.queries.gradebook import gradebook_of, gradebook_rows
from quest_platform.services.tallies import counted_points, strongest
from seeds.load import DEMO_TIME_ZONE, DemoCalendar

ROOT = Path(manage.__file__).parent
# The day the module's demo is seeded as (a Wednesday): the tests never depend on today.
DEMO_DAY = date(2026, 12, 9)
# A demo sign-in line: role, username, password (three groups of four readable characters).
LOGIN_LINE = re.compile(
    r"^(admin|teacher|student)\s+(\S+)\s+([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})\b"
)


@dataclass
class Seeded:
    """The module's demo database and what seeding it printed."""

    app: Flask
    output: str
    logins_file: Path


def run_cli(app: Flask, *args: str):
    """Run a manage.py command against ``app``, as `python manage.py ...` would."""
    with logging_preserved():
        return app.test_cli_runner().invoke(manage.cli, list(args))


def people_with_role(role: RoleName) -> int:
    query = select(func.count()).select_from(User).join(User.roles).where(Role.name == role.value)
    return db.session.scalar(query)


def table_counts() -> dict[str, int]:
    models = (User, Classroom, Enrollment, Quest, QuestAssignment, Attempt, AuditEntry)
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in models
    }


def demo_logins(path: Path) -> dict[str, tuple[str, str]]:
    """The demo sign-ins written to ``path``: username -> (role, password)."""
    logins = {}
    for line in path.read_text("utf-8").splitlines():
        if match := LOGIN_LINE.match(line):
            role, username, password = match.groups()
            logins[username] = (role, password)
    return logins


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Iterator[Seeded]:
    """A database migrated and seeded with the demo school by the command line."""
    folder = tmp_path_factory.mktemp("demo")
    with fresh_database(folder) as settings:
        application = create_app(
            "testing",
            SESSION_DIR=folder / "sessions",
            DEMO_LOGINS_FILE=folder / "demo-logins.txt",
            **settings,
        )
        upgraded = run_cli(application, "db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        result = run_cli(application, "seed", "--demo", "--day", DEMO_DAY.isoformat())
        assert result.exit_code == 0, result.output
        yield Seeded(application, result.output, folder / "demo-logins.txt")
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def demo(seeded) -> Iterator[Seeded]:
    """The demo database, with its app context pushed for queries."""
    with seeded.app.app_context():
        yield seeded
        db.session.remove()


# The commands


def test_help_lists_every_command(tmp_path):
    environment = {
        **os.environ,
        "QUEST_ENV": "development",
        "QUEST_INSTANCE_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'help.db'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "--help"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    commands = set(re.findall(r"^  ([a-z-]+)\s", result.stdout.split("Commands:")[1], re.M))
    expected = {"run", "db", "seed", "report", "analytics", "create-admin", "create-teacher"}
    expected.add("import-roster")
    assert expected <= commands


def test_production_without_secrets_is_refused_with_a_plain_message(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "SECURITY_PASSWORD_SALT"}
    }
    environment |= {
        "QUEST_ENV": "production",
        "QUEST_INSTANCE_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.db'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Error: Production needs SECRET_KEY and SECURITY_PASSWORD_SALT" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "production.db").exists(), "nothing ran before the refusal"


def test_seed_needs_demo_or_students(app):
    result = run_cli(app, "seed")
    assert result.exit_code == 2
    assert "Choose --demo, --students N, or both." in result.output


# seed --demo


def test_the_demo_has_one_admin_two_teachers_and_sixty_students(demo):
    assert people_with_role(RoleName.ADMIN) == 1
    assert people_with_role(RoleName.TEACHER) == 2
    assert people_with_role(RoleName.STUDENT) == 60


def test_the_demo_has_three_classrooms_of_twenty(demo):
    classrooms = db.session.scalars(select(Classroom)).all()
    assert len(classrooms) == 3
    assert [len(classroom.enrollments) for classroom in classrooms] == [20, 20, 20]
    assert all(classroom.teachers for classroom in classrooms)


def test_the_demo_quests_cover_both_themes_with_six_to_eight_stages(demo):
    quests = db.session.scalars(select(Quest)).all()
    assert {quest.theme for quest in quests} == {"West Coast Travel", "Digital Famine"}
    for quest in quests:
        assert 6 <= len(quest.stages) <= 8, quest.slug
        assert quest.status == QuestStatus.PUBLISHED, quest.slug
        lessons = [stage for stage in quest.stages if stage.kind == "lesson"]
        assert lessons, f"{quest.slug} has no lesson"
        assert all(len(stage.content) > 200 for stage in lessons), "lessons have real content"


def test_every_demo_classroom_has_assignments(demo):
    for classroom in db.session.scalars(select(Classroom)):
        assert len(classroom.assignments) >= 2, classroom.name


def local_day(moment: datetime) -> date:
    """The day ``moment`` falls on at the demo school."""
    return moment.astimezone(DEMO_TIME_ZONE).date()


def test_the_demo_has_weeks_of_attempts_up_to_the_day_it_is_seeded(demo):
    first, last = db.session.execute(
        select(func.min(Attempt.submitted_at), func.max(Attempt.submitted_at))
    ).one()
    assert last - first >= timedelta(days=14)
    assert local_day(last) == DEMO_DAY
    attempting = db.session.scalar(select(func.count(func.distinct(Attempt.student_id))))
    assert attempting >= 50, "most students have worked on a quest"
    outcomes = set(db.session.scalars(select(Attempt.outcome).distinct()))
    assert {"passed", "failed"} <= outcomes, "students differ in skill"


def test_students_worked_today_and_yesterday_in_school_hours(demo):
    submitted = db.session.scalars(select(Attempt.submitted_at)).all()
    days = [local_day(moment) for moment in submitted]
    assert days.count(DEMO_DAY) >= 3
    assert days.count(DEMO_DAY - timedelta(days=1)) >= 20
    hours = {moment.astimezone(DEMO_TIME_ZONE).time() for moment in submitted}
    assert all(time(8) <= hour <= time(21) for hour in hours), "nobody works at night"
    assert max(submitted) <= DemoCalendar(day=DEMO_DAY).now, "nothing after the demo's present"


def test_checkpoints_wait_for_review_with_code_to_read(demo):
    pending = db.session.scalars(
        select(Attempt).where(Attempt.outcome == Outcome.PENDING_REVIEW.value)
    ).all()
    assert len(pending) >= 5
    assert {attempt.stage.kind for attempt in pending} == {"checkpoint"}
    assert all(
        local_day(attempt.submitted_at) >= DEMO_DAY - timedelta(days=2) for attempt in pending
    )
    assert all("def " in attempt.answer["evidence"] for attempt in pending)


def test_every_classroom_has_a_quest_overdue_one_due_this_week_and_one_next_week(demo):
    for classroom in db.session.scalars(select(Classroom)):
        dues = sorted(
            local_day(assignment.due_at) - DEMO_DAY for assignment in classroom.assignments
        )
        opens = sorted(
            local_day(assignment.opens_at) - DEMO_DAY for assignment in classroom.assignments
        )
        assert dues[0] < timedelta(0), f"{classroom.name}: a quest is overdue"
        assert timedelta(0) <= dues[1] <= timedelta(days=7), f"{classroom.name}: due this week"
        assert timedelta(days=7) <= opens[2] < timedelta(days=14), f"{classroom.name}: next week"


def test_the_demo_summary_is_printed(demo):
    assert "Demo ready: 3 staff, 3 classrooms, 60 students" in demo.output
    assert "as of 2026-12-09 noon (America/Los_Angeles)" in demo.output
    assert str(demo.logins_file) in demo.output


def test_seeding_the_demo_again_is_refused_and_changes_nothing(demo):
    before, logins_before = table_counts(), demo.logins_file.read_text("utf-8")
    result = run_cli(demo.app, "seed", "--demo")
    assert result.exit_code != 0
    assert "The database already has data; nothing was changed." in result.output
    assert "--force" in result.output
    assert table_counts() == before
    assert demo.logins_file.read_text("utf-8") == logins_before


def test_seed_if_empty_does_nothing_on_a_database_with_data(demo):
    before, logins_before = table_counts(), demo.logins_file.read_text("utf-8")
    result = run_cli(demo.app, "seed", "--demo", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "already has data" in result.output
    assert table_counts() == before
    assert demo.logins_file.read_text("utf-8") == logins_before


def test_demo_passwords_are_written_to_the_logins_file_for_its_owner_only(demo):
    logins = demo_logins(demo.logins_file)
    assert len(logins) == 63
    assert stat.S_IMODE(demo.logins_file.stat().st_mode) == 0o600
    for username in ("admin", "ms.rivera", "mr.chen"):
        role, password = logins[username]
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.has_role(role)
        assert verify_password(password, user.password)


def test_demo_passwords_differ_between_two_runs(demo, app):
    first = demo_logins(demo.logins_file)
    with app.app_context():
        result = run_cli(app, "seed", "--demo", "--day", DEMO_DAY.isoformat())
        assert result.exit_code == 0, result.output
        second = demo_logins(Path(app.config["DEMO_LOGINS_FILE"]))
    assert first.keys() == second.keys(), "the same seed gives the same people"
    assert all(first[name][1] != second[name][1] for name in first)
    assert len({password for _, password in second.values()}) == len(second)


# seed --students


def test_seed_students_adds_students_with_attempts(app):
    assert run_cli(app, "seed", "--demo", "--day", DEMO_DAY.isoformat()).exit_code == 0
    before = people_with_role(RoleName.STUDENT)
    attempts_before = db.session.scalar(select(func.count()).select_from(Attempt))

    result = run_cli(app, "seed", "--students", "40")

    assert result.exit_code == 0, result.output
    assert "Added 40 students" in result.output
    assert people_with_role(RoleName.STUDENT) == before + 40
    new_students = select(User.id).order_by(User.id.desc()).limit(40).subquery()
    new_attempts = (
        select(func.count())
        .select_from(Attempt)
        .where(Attempt.student_id.in_(select(new_students.c.id)))
    )
    assert db.session.scalar(new_attempts) > 0
    assert db.session.scalar(select(func.count()).select_from(Attempt)) > attempts_before


def test_seed_students_with_more_quests_adds_numbered_units(app):
    assert run_cli(app, "seed", "--demo", "--day", DEMO_DAY.isoformat()).exit_code == 0
    published = select(func.count()).select_from(Quest).where(Quest.status == "published")
    before = db.session.scalar(published)

    result = run_cli(app, "seed", "--students", "30", "--quests", "6")

    assert result.exit_code == 0, result.output
    assert db.session.scalar(published) == 6 > before
    classroom = db.session.scalar(select(Classroom).order_by(Classroom.id.desc()).limit(1))
    assert len(classroom.assignments) == 6
    given = {assignment.quest_id for assignment in classroom.assignments}
    answered = select(Attempt.quest_id).join(
        Enrollment, Enrollment.student_id == Attempt.student_id
    )
    answered = answered.where(Enrollment.classroom_id == classroom.id).distinct()
    assert set(db.session.scalars(answered)) <= given
    assert len(set(db.session.scalars(answered))) > 2


def test_seed_students_with_a_class_size_puts_them_in_one_classroom(app):
    assert run_cli(app, "seed", "--demo", "--day", DEMO_DAY.isoformat()).exit_code == 0

    result = run_cli(app, "seed", "--students", "45", "--class-size", "45")

    assert result.exit_code == 0, result.output
    assert "Added 45 students in 1 classrooms" in result.output
    classroom = db.session.scalar(select(Classroom).order_by(Classroom.id.desc()).limit(1))
    enrolled = select(func.count()).where(Enrollment.classroom_id == classroom.id)
    assert db.session.scalar(enrolled) == 45


def test_seeded_attempts_have_the_points_and_tallies_the_attempts_service_gives(app):
    assert run_cli(app, "seed", "--demo", "--day", DEMO_DAY.isoformat()).exit_code == 0

    for student_id, stage_id in db.session.execute(
        select(Attempt.student_id, Attempt.stage_id).distinct().limit(300)
    ):
        stage = db.session.get(Stage, stage_id)
        attempts = db.session.scalars(
            select(Attempt)
            .where(Attempt.student_id == student_id, Attempt.stage_id == stage_id)
            .order_by(Attempt.id)
        ).all()
        ledger = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.student_id == student_id, PointsEntry.stage_id == stage_id
        )
        points = counted_points(stage, [attempt.score for attempt in attempts])
        assert db.session.scalar(ledger) == points
        tally = db.session.get(StageTally, (student_id, stage_id))
        assert (tally.tries, tally.points) == (len(attempts), points)
        assert tally.outcome == strongest(attempt.outcome for attempt in attempts)
    for tally in db.session.scalars(select(QuestTally)):
        ledger = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.student_id == tally.student_id, PointsEntry.quest_id == tally.quest_id
        )
        assert db.session.scalar(ledger) == tally.points
    assert db.session.scalar(select(func.count()).select_from(PointsEntry)) > 0


def test_seed_students_needs_the_demo_first(app):
    result = run_cli(app, "seed", "--students", "5")
    assert result.exit_code != 0
    assert "needs the demo first" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# create-admin and create-teacher


@pytest.mark.parametrize(
    ("command", "role"), [("create-admin", RoleName.ADMIN), ("create-teacher", RoleName.TEACHER)]
)
def test_staff_accounts_get_their_role_and_a_one_time_password(app, command, role):
    details = ["--username", "Ms.Okafor", "--display-name", "Ngozi Okafor"]
    result = run_cli(app, command, *details, "--email", "okafor@example.org")
    assert result.exit_code == 0, result.output
    assert f"Created {role.value} ms.okafor." in result.output
    password = re.search(r"One-time password .*: (\S+)$", result.output, re.M).group(1)

    user = db.session.scalar(select(User).where(User.username == "ms.okafor"))
    assert [r.name for r in user.roles] == [role.value]
    assert user.email == "okafor@example.org"
    assert user.must_change_password
    assert verify_password(password, user.password)
    assert password not in user.password


def test_a_new_teacher_must_replace_the_one_time_password(app, client, login_as):
    result = run_cli(app, "create-teacher", "--username", "mr.diaz", "--display-name", "Luis Díaz")
    password = re.search(r"One-time password .*: (\S+)$", result.output, re.M).group(1)
    teacher = db.session.scalar(select(User).where(User.username == "mr.diaz"))
    login_as(teacher, password=password)
    assert client.get("/admin/").headers["Location"] == "/change"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--username", "x"], "username: Use 3 to 40 letters"),
        (["--username", "bad name!"], "username: Use 3 to 40 letters"),
        (["--username", "okay.name", "--email", "taken@example.org"], "email: That email"),
        (["--username", "taken.name"], "username: That username is taken"),
    ],
    ids=["too-short", "bad-characters", "taken-email", "taken-username"],
)
def test_bad_staff_details_are_refused_and_nothing_is_written(app, make, arguments, message):
    make.teacher(username="taken.name", email="taken@example.org")
    before = table_counts()
    result = run_cli(app, "create-teacher", "--display-name", "Someone", *arguments)
    assert result.exit_code != 0
    assert message in result.output
    assert "One-time password" not in result.output
    db.session.expire_all()
    assert table_counts() == before


# import-roster

ROSTER = "first name,last name,username,email\nAna,Lee,ana.lee,ana@example.org\nBen,Ito,ben.ito,\n"
# A row of the printed sign-ins: name, username, one-time password.
SIGN_IN_LINE = re.compile(r"^(Ana Lee|Ben Ito)\s+(\S+)\s+([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})$")


@pytest.fixture
def roster_file(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, "utf-8")
    return path


def import_roster(app, path: Path, classroom, *options: str):
    return run_cli(app, "import-roster", str(path), "--classroom", str(classroom.id), *options)


def test_import_roster_dry_run_prints_the_rows_and_writes_nothing(app, make, roster_file):
    classroom = make.classroom()
    before = table_counts()

    result = import_roster(app, roster_file, classroom, "--dry-run")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Line", "Name", "Username", "Email", "Status"]
    assert lines[2].split() == ["2", "Ana", "Lee", "ana.lee", "ana@example.org", "new", "student"]
    assert "2 new students, 0 errors" in result.output
    assert "Dry run: nothing was written." in result.output
    db.session.expire_all()
    assert table_counts() == before


def test_import_roster_creates_and_enrolls_and_prints_the_passwords_once(app, make, roster_file):
    classroom = make.classroom()

    result = import_roster(app, roster_file, classroom)

    assert result.exit_code == 0, result.output
    assert f"Imported 2 students into {classroom.name}" in result.output
    printed = [SIGN_IN_LINE.match(line) for line in result.output.splitlines()]
    sign_ins = {match.group(2): match.group(3) for match in printed if match}
    assert set(sign_ins) == {"ana.lee", "ben.ito"}
    for username, password in sign_ins.items():
        student = db.session.scalar(select(User).where(User.username == username))
        assert verify_password(password, student.password)
        assert student.must_change_password
        assert [e.classroom_id for e in student.enrollments] == [classroom.id]


def test_import_roster_with_an_error_exits_non_zero_and_writes_nothing(app, make, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER + "Cy,,cy.ng,\n", "utf-8")
    classroom = make.classroom()
    before = table_counts()

    result = import_roster(app, path, classroom)

    assert result.exit_code == 1
    assert "error: last name missing" in result.output
    assert "2 new students, 1 error" in result.output
    assert "Nothing was imported" in result.output
    assert "One-time password" not in result.output
    db.session.expire_all()
    assert table_counts() == before


def test_import_roster_explains_a_file_it_cannot_read(app, make, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"name,class\n")
    result = import_roster(app, path, make.classroom())
    assert result.exit_code == 1
    assert "Error: The first row is not a header row this import knows." in result.output


def test_import_roster_refuses_an_unknown_classroom(app, make, roster_file):
    classroom = make.classroom()
    before = table_counts()
    result = run_cli(app, "import-roster", str(roster_file), "--classroom", "999999")
    assert result.exit_code == 1
    assert "No classroom has the id 999999." in result.output
    assert f"{classroom.id} ({classroom.name}, {classroom.term})" in result.output
    assert table_counts() == before


def test_import_roster_writes_the_passwords_to_a_private_file(app, make, roster_file, tmp_path):
    out = tmp_path / "sign-ins.csv"

    result = import_roster(app, roster_file, make.classroom(), "--credentials-out", str(out))

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert rows[0] == ["Name", "Username", "One-time password"]
    for name, username, password in rows[1:]:
        student = db.session.scalar(select(User).where(User.username == username))
        assert student.display_name == name
        assert verify_password(password, student.password)
        assert password not in result.output


def test_import_roster_refuses_an_existing_credentials_file(app, make, roster_file, tmp_path):
    out = tmp_path / "sign-ins.csv"
    out.write_text("keep me", "utf-8")
    classroom = make.classroom()
    before = table_counts()

    result = import_roster(app, roster_file, classroom, "--credentials-out", str(out))

    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert out.read_text("utf-8") == "keep me"
    db.session.expire_all()
    assert table_counts() == before


# report prediction-quality, analytics fit

# A row of the AUC table: predictor, AUC [low, high], Brier score.
AUC_ROW = re.compile(
    r"^(Model|Share of stages done)\s+(0\.\d{3}) \[(0\.\d{3}), (0\.\d{3})\]\s+(0\.\d{3}|–)$"
)


def test_report_prediction_quality_backtests_a_simulated_world(app):
    result = run_cli(
        app,
        "report",
        "prediction-quality",
        "--world",
        "second",
        "--classes",
        "3",
        "--replicates",
        "200",
    )

    assert result.exit_code == 0, result.output
    output = result.output
    assert output.startswith(
        "Quest prediction quality, on the second simulated world (classes 2026–2028)"
    )
    assert "examples from 3 classrooms" in output
    blocks = output.split("\nWeek ")[1:]
    assert [block.split()[0] for block in blocks] == ["1", "2", "3"]
    for block in blocks:
        rows = {
            match.group(1): match.groups()[1:]
            for match in map(AUC_ROW.match, block.splitlines())
            if match
        }
        assert set(rows) == {"Model", "Share of stages done"}
        for name, (auc, low, high, _brier) in rows.items():
            assert float(low) <= float(auc) <= float(high), name
        assert re.search(r"^Always the completion rate\s+0\.500\s+0\.\d{3}$", block, re.M)
        assert re.search(r"AUC gain over the share of stages done: \[-?0\.\d{3}, ", block)
        assert re.search(r"Expected calibration error: 0\.\d{3}", block)
        assert "Predicted  Students  Mean prediction  Finished" in block
        assert re.search(r"Verdict, week \d: its probabilities (beat|do no better)", block)


def test_report_prediction_quality_from_an_empty_database_says_there_is_too_little(app):
    result = run_cli(app, "report", "prediction-quality", "--from-database")

    assert result.exit_code == 0, result.output
    assert "on this deployment's records" in result.output
    assert "0 examples from 0 classrooms" in result.output
    for week in (1, 2, 3):
        assert f"Too little data to judge week {week}" in result.output
    assert "Verdict" not in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--weeks", "one,two"], "is not a list of whole weeks"),
        (["--weeks", "0,1"], "is not a list of whole weeks"),
        (["--from-database", "--classroom", "9999"], "9999"),
        (["--from-database", "--quest", "no-such-quest"], "There is no quest"),
    ],
)
def test_report_prediction_quality_refuses_bad_options(app, arguments, message):
    result = run_cli(app, "report", "prediction-quality", *arguments)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_analytics_fit_with_too_little_history_says_how_much_there_is(app, make):
    make.classroom()
    result = run_cli(app, "analytics", "fit")
    assert result.exit_code == 1
    assert "Too little history to learn from yet: 0 examples" in result.output


# report engagement, predictions and gradebook


def first_classroom() -> Classroom:
    return db.session.scalars(select(Classroom).order_by(Classroom.id)).first()


def classrooms() -> list[Classroom]:
    return list(db.session.scalars(select(Classroom).order_by(Classroom.id)))


def test_report_engagement_writes_an_html_file_with_charts_that_opens_offline(demo, tmp_path):
    classroom = first_classroom()
    out = tmp_path / "report.html"
    result = run_cli(
        demo.app, "report", "engagement", "--classroom", str(classroom.id), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} (html," in result.output
    page = out.read_text("utf-8")
    assert f"<h1>Engagement report: {classroom.name}</h1>" in page
    assert page.count("<svg xmlns") >= 3  # weekly engagement, a funnel and a grid at least
    assert "Stage funnel:" in page
    assert "Progress by student and stage:" in page
    assert "Engagement of each student" in page
    # When the figures were computed, with the zone of the time (the school's).
    assert re.search(r"Computed [^<]+ \(UTC\)\.", page)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page


def test_report_engagement_as_csv_has_a_row_per_student(demo, tmp_path):
    classroom = first_classroom()
    out = tmp_path / "engagement.csv"
    result = run_cli(
        demo.app, "report", "engagement", "--classroom", str(classroom.id), "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert rows[0][:3] == ["Student", "Attempts", "Active days per week"]
    enrolled = db.session.scalar(
        select(func.count()).select_from(Enrollment).where(Enrollment.classroom_id == classroom.id)
    )
    assert len(rows) - 1 == enrolled


def test_report_engagement_as_xlsx_opens_as_a_workbook(demo, tmp_path):
    out = tmp_path / "engagement.xlsx"
    result = run_cli(
        demo.app,
        "report",
        "engagement",
        "--classroom",
        str(first_classroom().id),
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames[0] == "Engagement of each student"
    assert len(workbook.sheetnames) >= 3


def test_report_engagement_of_every_classroom_in_markdown_and_spanish(demo):
    result = run_cli(demo.app, "report", "engagement", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert "# Informe de participación: todas las clases" in result.output
    for classroom in db.session.scalars(select(Classroom)):
        assert f"## Participación semanal: {classroom.name}" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--classroom", "9999"], "There is no classroom 9999."),
        (["--quest", "no-such-quest"], "There is no quest “no-such-quest”."),
        (["--format", "xlsx"], "An XLSX report is a file: name it with --out"),
    ],
)
def test_report_engagement_explains_what_it_cannot_do(demo, arguments, message):
    result = run_cli(demo.app, "report", "engagement", *arguments)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_report_engagement_explains_a_quest_assigned_nowhere(demo, make):
    quest = make.quest(slug="assigned-nowhere")
    db.session.commit()
    result = run_cli(demo.app, "report", "engagement", "--quest", quest.slug)
    assert result.exit_code == 1
    assert "is not assigned to any classroom: there is nothing to report on it." in result.output


def test_report_predictions_gives_every_students_quests_with_risk_and_reasons(demo):
    classroom = first_classroom()
    result = run_cli(demo.app, "report", "predictions", "--classroom", str(classroom.id))
    assert result.exit_code == 0, result.output
    assert f"# Quest predictions: {classroom.name}" in result.output
    assert "## Risk of not finishing on time:" in result.output
    # The report names the model that predicted, and says how sure each chance is.
    assert "Predictions by " in result.output
    assert re.search(
        r"\| (about )?\d+% — (little data yet|fair confidence|good confidence) \|", result.output
    )
    lines = result.output.splitlines()
    heading = lines.index(
        "| Student | Quest | Stages done | Chance of finishing by the due date | Likely finish "
        "| Risk | Why |"
    )
    rows = [line for line in lines[heading + 2 :] if line.startswith("| ")]
    assigned = db.session.scalar(
        select(func.count())
        .select_from(QuestAssignment)
        .where(QuestAssignment.classroom_id == classroom.id)
    )
    assert len(rows) == 20 * assigned
    assert any(label in result.output for label in ("✓ On track", "! Watch", "⚠ At risk"))


def test_the_demo_has_its_analytics_computed(demo):
    for classroom in db.session.scalars(select(Classroom)):
        assert analytics_computed_at(classroom.id) is not None
    assert db.session.scalar(select(func.count()).select_from(StudentAnalytics)) == 60


def test_analytics_refresh_computes_every_classroom_afresh(demo):
    before = {classroom.id: analytics_computed_at(classroom.id) for classroom in classrooms()}
    result = run_cli(demo.app, "analytics", "refresh")
    assert result.exit_code == 0, result.output
    for classroom in classrooms():
        assert f"{classroom.name}: figures computed in " in result.output
        assert analytics_computed_at(classroom.id) > before[classroom.id]
    assert "Refreshed the analytics of 3 classrooms." in result.output


def test_analytics_refresh_of_one_classroom_leaves_the_others(demo):
    first, *others = classrooms()
    before = {classroom.id: analytics_computed_at(classroom.id) for classroom in others}
    result = run_cli(demo.app, "analytics", "refresh", "--classroom", str(first.id))
    assert result.exit_code == 0, result.output
    assert "Refreshed the analytics of 1 classroom." in result.output
    assert {classroom.id: analytics_computed_at(classroom.id) for classroom in others} == before


def test_analytics_refresh_refuses_an_unknown_classroom(demo):
    result = run_cli(demo.app, "analytics", "refresh", "--classroom", "999999")
    assert result.exit_code == 1
    assert "There is no classroom 999999." in result.output


def test_report_gradebook_csv_is_the_admins_canvas_file(demo):
    classroom = first_classroom()
    result = run_cli(
        demo.app, "report", "gradebook", "--classroom", str(classroom.id), "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == gradebook_rows(gradebook_of(classroom))
