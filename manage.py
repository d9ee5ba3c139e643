#!/usr/bin/env python
"""The Quest Platform command line: run, db, seed, report, create-admin/-teacher, import-roster,
import-notebook, export-notebook, check, backup, restore, grader, slack."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from flask_babel import force_locale
from rq import SimpleWorker
from sqlalchemy import select

from analytics.evaluate import backtest, format_quality_report
from analytics.history import SETTLE_DAYS, database_examples
from analytics.load import load_dataset
from analytics.model import shipped_model
from analytics.prediction import examples_frame
from quest_platform import create_app
from quest_platform.config import ConfigurationError
from quest_platform.extensions import db
from quest_platform.health.checks import readiness
from quest_platform.i18n import format_locale
from quest_platform.jobs import job_queue
from quest_platform.models import Classroom, Quest, RoleName, User, utcnow
from quest_platform.notebooks.plan import NotebookPlan
from quest_platform.notebooks.vocabulary import NOTEBOOK_MAX_BYTES
from quest_platform.reports.document import Report
from quest_platform.reports.engagement import classrooms_in, engagement
from quest_platform.reports.files import ReportFormat, render_report
from quest_platform.reports.gradebook import classroom_gradebook
from quest_platform.reports.predictions import predictions
from quest_platform.reports.scope import ReportRefused, classroom_to_report, report_scope
from quest_platform.sandbox import sandbox_refused
from quest_platform.services import ServiceError
from quest_platform.services.accounts import create_user, generate_password
from quest_platform.services.analytics import refresh_analytics
from quest_platform.services.backups import (
    BackupRefused,
    default_backup_path,
    describe_counts,
    describe_files,
    make_backup,
    restore_backup,
)
from quest_platform.services.notebooks import (
    export_file_name,
    exported_notebook,
    import_notebook,
    preview_notebook,
)
from quest_platform.services.prediction_models import fit_prediction_model, model_in_use
from quest_platform.services.roster_import import (
    ROSTER_MAX_BYTES,
    RosterPreview,
    credentials_csv,
    import_roster,
    preview_roster,
)
from quest_platform.services.slack import announce_due_assignments, resend_slack_posts
from quest_platform.time_zones import SkippedLocalTime, local_to_utc
from seeds.cohorts import SIMULATED_WEEKS, training_examples
from seeds.load import DemoCalendar, SeedRefused, database_is_empty, seed_demo, seed_students
from seeds.second_world import world_examples


def load_app() -> Flask:
    """Create the app, turning an unsafe configuration into a plain error message."""
    try:
        return create_app()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


@click.group(cls=FlaskGroup, create_app=load_app, add_version_option=False)
def cli() -> None:
    """Manage Quest Platform: serve it, migrate and seed its database, create staff accounts."""


def _create_staff(role: RoleName, username: str, email: str | None, display_name: str) -> None:
    password = generate_password()
    try:
        user = create_user(
            username=username,
            email=email,
            display_name=display_name,
            password=password,
            role=role,
            must_change_password=True,
        )
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field or 'input'}: {error.message}") from None
    click.echo(f"Created {role.value} {user.username}.")
    click.echo(f"One-time password (shown once; change it after signing in): {password}")


staff_options = [
    click.option("--username", required=True, help="Sign-in name (3–40 letters or digits)."),
    click.option("--email", default=None, help="Optional email address."),
    click.option("--display-name", required=True, help="Name shown to students and staff."),
]


def _with_staff_options(command):  # type: ignore[no-untyped-def]
    for option in reversed(staff_options):
        command = option(command)
    return command


@cli.command("create-admin")
@_with_staff_options
def create_admin(username: str, email: str | None, display_name: str) -> None:
    """Create an administrator with a one-time password."""
    _create_staff(RoleName.ADMIN, username, email, display_name)


@cli.command("create-teacher")
@_with_staff_options
def create_teacher(username: str, email: str | None, display_name: str) -> None:
    """Create a teacher with a one-time password."""
    _create_staff(RoleName.TEACHER, username, email, display_name)


@cli.command("seed")
@click.option(
    "--demo", is_flag=True, help="Create the demo school: staff, classes, quests, attempts."
)
@click.option("--students", type=click.IntRange(min=1), help="Create N more students (scale data).")
@click.option(
    "--seed",
    "seed_number",
    type=int,
    default=2026,
    show_default=True,
    help="Random seed; the same seed gives the same data.",
)
@click.option(
    "--quests",
    "quest_count",
    type=click.IntRange(min=1, max=40),
    default=2,
    show_default=True,
    help="Quests each scale classroom works on, one opening a week (more make a longer term).",
)
@click.option(
    "--class-size",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Students per scale classroom (--class-size N with --students N: one classroom).",
)
@click.option(
    "--day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the data is seeded as, YYYY-MM-DD (default: today at the demo school); "
    "the same day and seed give the same data.",
)
@click.option("--force", is_flag=True, help="Seed the demo even if the database has data.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (successfully) if the database has data."
)
def seed(
    demo: bool,
    students: int | None,
    seed_number: int,
    quest_count: int,
    class_size: int,
    day: datetime | None,
    force: bool,
    if_empty: bool,
) -> None:
    """Fill the database with fictional demo or scale data."""
    if not demo and students is None:
        raise click.UsageError("Choose --demo, --students N, or both.")
    if demo and not database_is_empty():
        if if_empty:
            click.echo(
                f"The database already has data; demo logins are in "
                f"{current_app.config['DEMO_LOGINS_FILE']}."
            )
            return
        if not force:
            raise click.ClickException(
                "The database already has data; nothing was changed. "
                "Use --force to add the demo anyway."
            )
    calendar = DemoCalendar.today() if day is None else DemoCalendar(day=day.date())
    try:
        if demo:
            summary = seed_demo(seed=seed_number, calendar=calendar, echo=click.echo)
            click.echo(summary)
        if students is not None:
            summary = seed_students(
                count=students,
                seed=seed_number,
                quest_count=quest_count,
                class_size=class_size,
                echo=click.echo,
                now=calendar.now,
            )
            click.echo(summary)
    except SeedRefused as error:
        raise click.ClickException(str(error)) from None


@cli.command("check")
def check_command() -> None:
    """Check that the platform can serve: the database answers and is migrated, Redis answers
    (when REDIS_URL is set), and the upload and session folders can be written.

    One line per check; the exit status is 1 when any fails (as /health/ready answers 503).
    """
    checks = readiness(current_app)
    for check in checks:
        click.echo(f"{check.name}: ok" if check.ok else f"{check.name}: FAILING: {check.problem}")
    failing = sum(1 for check in checks if not check.ok)
    if failing:
        raise click.ClickException(f"{failing} of {len(checks)} checks failed.")
    click.echo("Ready to serve.")


@cli.command("grader")
@click.option("--burst", is_flag=True, help="Grade what is queued, then stop.")
def grader_command(burst: bool) -> None:
    """Grade students' code from the queue in Redis (REDIS_URL): an RQ worker.

    Start as many as the class needs, on this machine or any other that reaches Redis and the
    database. Without Redis there is no queue: the web process grades code itself. Graders
    also send the Slack announcements, and try a failed one again when it is due.
    """
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis the web process grades code itself."
        )
    if reason := sandbox_refused():
        raise click.ClickException(reason)
    queue = job_queue(redis_url)
    click.echo(f"Grading code from the queue {queue.name!r}; stop with Ctrl-C.")
    # A worker that runs each job itself (no fork per job): the app and its database
    # connections are made once; every job's code runs in a sandbox of its own anyway. Its
    # scheduler queues the jobs due to be tried again later (a Slack post that failed).
    SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)


@cli.group("slack")
def slack() -> None:
    """Announcements in the classes' Slack channels (docs/slack.md)."""


@slack.command("due-tomorrow")
def slack_due_tomorrow_command() -> None:
    """Remind each class with Slack of its quests due in the next 24 hours, once each.

    Run it hourly from cron (docs/slack.md); a quest already announced is not announced again.
    """
    posts = announce_due_assignments()
    click.echo("Queued 1 reminder." if posts == 1 else f"Queued {posts} reminders.")


@slack.command("retry-failed")
@click.option("--classroom", "classroom_id", type=int, help="One classroom (its id); all without.")
def slack_retry_failed_command(classroom_id: int | None) -> None:
    """Send again the posts that failed (once Slack is back), and any lost while queued."""
    posts = resend_slack_posts(classroom_id=classroom_id)
    click.echo("Queued 1 post again." if posts == 1 else f"Queued {posts} posts again.")


@cli.group("analytics")
def analytics() -> None:
    """Compute the analytics that the teacher home, students' pages and the API show."""


@analytics.command("refresh")
@click.option(
    "--classroom",
    "classroom_ids",
    type=int,
    multiple=True,
    help="One classroom (its id; repeat for several). Every classroom without it.",
)
def refresh_analytics_command(classroom_ids: tuple[int, ...]) -> None:
    """Compute each classroom's dashboard and students' figures and predictions afresh.

    Run it from cron to keep the figures teachers read fresh (docs/analytics.md); a teacher can
    also refresh one classroom from the teacher home.
    """
    try:
        classrooms = [classroom_to_report(classroom_id) for classroom_id in classroom_ids]
    except ReportRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    if not classroom_ids:
        classrooms = list(db.session.scalars(select(Classroom).order_by(Classroom.id)))
    for classroom in classrooms:
        name = classroom.name
        started = time.perf_counter()
        refresh_analytics(classroom=classroom)
        click.echo(f"{name}: figures computed in {time.perf_counter() - started:.1f} s.")
    count = "1 classroom" if len(classrooms) == 1 else f"{len(classrooms)} classrooms"
    click.echo(f"Refreshed the analytics of {count}.")


@analytics.command("fit")
def fit_prediction_model_command() -> None:
    """Fit the quest model on this deployment's own records and use it from now on.

    Learns from every classroom's quests past their due dates, starting from the model the
    platform ships; run it from cron once a week (docs/analytics.md), then refresh.
    """
    try:
        fitted = fit_prediction_model()
    except ServiceError as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(
        f"Fitted quest model {fitted.version} on {fitted.examples} examples from "
        f"{fitted.classrooms} classrooms and {fitted.quests} quests "
        f"({fitted.data_from:%Y-%m-%d} to {fitted.data_to:%Y-%m-%d})."
    )
    for week in fitted.evaluation["weeks"]:
        if not week["enough_data"]:
            click.echo(f"Week {week['week']}: too little data to judge.")
            continue
        click.echo(
            f"Week {week['week']}, on classrooms it did not learn from: AUC {week['auc']:.3f} "
            f"(share of stages done {week['share_done_auc']:.3f}), Brier {week['brier']:.3f} "
            f"(completion rate {week['constant_brier']:.3f}), calibration error "
            f"{week['calibration_error']:.3f}."
        )
    click.echo("Refresh the analytics (manage.py analytics refresh) to predict with it.")


@cli.group("report")
def report() -> None:
    """Print reports on the platform's records and its predictions."""


def _output_options(command):  # type: ignore[no-untyped-def]
    """The options of every file report: its format, where it goes, its language."""
    options = [
        click.option(
            "--format",
            "form",
            type=click.Choice([form.value for form in ReportFormat]),
            help="csv, xlsx, html or md; by default from --out's extension, else md.",
        ),
        click.option(
            "--out",
            type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write the report to this file instead of printing it.",
        ),
        click.option(
            "--lang",
            type=click.Choice(["en", "es"]),
            default="en",
            show_default=True,
            help="The language of the report.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _report_options(command):  # type: ignore[no-untyped-def]
    """What a report covers (a classroom, a quest; every one by default), then its output."""
    command = _output_options(command)
    command = click.option("--quest", help="One quest (its slug or id).")(command)
    return click.option("--classroom", "classroom_id", type=int, help="One classroom (its id).")(
        command
    )


def _report_format(form: str | None, out: Path | None) -> ReportFormat:
    """The format asked for, or the one --out's extension names, or Markdown."""
    if form is None and out is not None and out.suffix.lower().lstrip(".") in set(ReportFormat):
        return ReportFormat(out.suffix.lower().lstrip("."))
    return ReportFormat(form or ReportFormat.MD)


def _write_report(build, *, form: str | None, out: Path | None, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Build a report in ``lang`` and print it or write it to ``out``."""
    chosen = _report_format(form, out)
    if chosen is ReportFormat.XLSX and out is None:
        raise click.UsageError(
            "An XLSX report is a file: name it with --out, e.g. --out report.xlsx"
        )
    if out is not None and not out.parent.is_dir():
        raise click.UsageError(f"The folder {out.parent} does not exist.")
    with force_locale(format_locale(lang)):
        try:
            content = render_report(build(), chosen)
        except ReportRefused as refusal:
            raise click.ClickException(str(refusal)) from None
    if out is None:
        click.echo(content.decode(), nl=False)
        return
    out.write_bytes(content)
    click.echo(f"Wrote {out} ({chosen.value}, {len(content):,} bytes).", err=True)


@report.command("engagement")
@_report_options
def engagement_command(
    classroom_id: int | None, quest: str | None, form: str | None, out: Path | None, lang: str
) -> None:
    """Engagement: weekly activity, stage funnels, progress grids and each student's figures."""

    def build() -> Report:
        scope = report_scope(classroom_id=classroom_id, quest=quest)
        quest_id = scope.quest.id if scope.quest else None
        dataset = load_dataset(
            db.engine,
            classroom_ids=scope.classroom_ids,
            zone=current_app.config["SCHOOL_TIME_ZONE"],
        )
        steps = classrooms_in(dataset, classroom_id=classroom_id, quest_id=quest_id)
        with click.progressbar(length=steps, label="Drawing the charts", file=sys.stderr) as bar:
            return engagement(
                dataset, classroom_id=classroom_id, quest_id=quest_id, advance=bar.update
            )

    _write_report(build, form=form, out=out, lang=lang)


def as_of_moment(value: str, *, zone: str, now: datetime) -> datetime:
    """The moment ``value`` names, in UTC: an ISO date is the end of that day in ``zone`` (``now``
    on the day itself); a date and time without an offset is on ``zone``'s clock.

    Raises click.BadParameter for anything else, and for a moment after ``now``.
    """
    school = ZoneInfo(zone)
    try:
        day: date | None = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        if day > now.astimezone(school).date():
            raise click.BadParameter(f"{value} is in the future.", param_hint="'--as-of'")
        return min(datetime.combine(day, datetime.max.time(), school).astimezone(UTC), now)
    try:
        given = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date or a date and time: write e.g. 2026-11-30 or "
            "2026-11-30T15:00.",
            param_hint="'--as-of'",
        ) from None
    try:
        moment = given.astimezone(UTC) if given.tzinfo else local_to_utc(given, school)
    except SkippedLocalTime:
        raise click.BadParameter(
            f"{value} does not exist in {zone}: the clocks skip it.", param_hint="'--as-of'"
        ) from None
    if moment > now:
        raise click.BadParameter(f"{value} is in the future.", param_hint="'--as-of'")
    return moment


@report.command("predictions")
@_report_options
@click.option(
    "--as-of",
    metavar="MOMENT",
    help="Predict as of this past moment, from the records of then: a date (the end of that day "
    "in the school's time zone) or a date and time, e.g. 2026-11-30 or 2026-11-30T15:00 "
    "(default: now).",
)
def predictions_command(
    classroom_id: int | None,
    quest: str | None,
    form: str | None,
    out: Path | None,
    lang: str,
    as_of: str | None,
) -> None:
    """Quest predictions: each student's chance of finishing on time, when, the risk and why."""
    zone = current_app.config["SCHOOL_TIME_ZONE"]
    now = None if as_of is None else as_of_moment(as_of, zone=zone, now=utcnow())

    def build() -> Report:
        scope = report_scope(classroom_id=classroom_id, quest=quest)
        dataset = load_dataset(db.engine, classroom_ids=scope.classroom_ids, now=now, zone=zone)
        # As of a past moment, the model in use then: one fitted later knew what came after.
        model, fitted = model_in_use(as_of=now)
        return predictions(
            dataset,
            model=model,
            fitted=fitted,
            classroom_id=classroom_id,
            quest_id=scope.quest.id if scope.quest else None,
        )

    _write_report(build, form=form, out=out, lang=lang)


@report.command("gradebook")
@click.option("--classroom", "classroom_id", type=int, required=True, help="The classroom's id.")
@_output_options
def gradebook_command(classroom_id: int, form: str | None, out: Path | None, lang: str) -> None:
    """A classroom's gradebook: the CSV imports into Canvas (docs/gradebook.md)."""

    def build() -> Report:
        return classroom_gradebook(classroom_to_report(classroom_id))

    _write_report(build, form=form, out=out, lang=lang)


@report.command("prediction-quality")
@click.option(
    "--from-database",
    is_flag=True,
    help="Backtest on this deployment's own records (quests past their due dates) instead of "
    "simulated classes.",
)
@click.option(
    "--world",
    type=click.Choice(["first", "second"]),
    default="first",
    show_default=True,
    help="Which simulated world: the first (seeds/cohorts.py) or the second, held out of all "
    "fitting (seeds/second_world.py).",
)
@click.option(
    "--classes",
    type=click.IntRange(min=2),
    default=24,
    show_default=True,
    help="Simulated classes to backtest on.",
)
@click.option(
    "--seed",
    "seed_number",
    type=int,
    default=2026,
    show_default=True,
    help="First simulated class's seed; the same seed gives the same report.",
)
@click.option(
    "--classroom",
    "classroom_ids",
    type=int,
    multiple=True,
    help="With --from-database: one classroom (its id; repeat for several). Every classroom "
    "without it.",
)
@click.option(
    "--quest",
    "quests",
    multiple=True,
    help="With --from-database: one quest (its slug or id; repeat for several).",
)
@click.option(
    "--weeks",
    default="1,2,3",
    show_default=True,
    help="The cuts to judge: whole weeks after each quest opened, separated by commas.",
)
@click.option(
    "--leave-out",
    type=click.Choice(["classroom", "quest"]),
    default="classroom",
    show_default=True,
    help="What each fold of the backtest holds out whole.",
)
@click.option(
    "--replicates",
    type=click.IntRange(min=100),
    default=2000,
    show_default=True,
    help="Bootstrap resamples behind each interval.",
)
def prediction_quality(
    from_database: bool,
    world: str,
    classes: int,
    seed_number: int,
    classroom_ids: tuple[int, ...],
    quests: tuple[str, ...],
    weeks: str,
    leave_out: str,
    replicates: int,
) -> None:
    """Backtest the quest predictions: each held-out classroom (or quest) predicted by a model
    that never learned from it, against the completion rate and the share of stages done."""
    judged = _weeks_option(weeks)
    if from_database:
        try:
            for classroom_id in classroom_ids:
                classroom_to_report(classroom_id)
            quest_ids = [report_scope(classroom_id=None, quest=quest).quest for quest in quests]
        except ReportRefused as refusal:
            raise click.ClickException(str(refusal)) from None
        frame = database_examples(
            db.engine,
            now=utcnow(),
            zone=current_app.config["SCHOOL_TIME_ZONE"],
            classroom_ids=classroom_ids or None,
            quest_ids=[quest.id for quest in quest_ids if quest is not None] or None,
        )
        source = (
            f"Quest prediction quality, on this deployment's records (quests due {SETTLE_DAYS} "
            "or more days ago)"
        )
    else:
        seeds = range(seed_number, seed_number + classes)
        examples = (
            training_examples(seeds, weeks=SIMULATED_WEEKS)
            if world == "first"
            else world_examples(seeds, weeks=SIMULATED_WEEKS)
        )
        frame = examples_frame(examples)
        source = (
            f"Quest prediction quality, on the {world} simulated world "
            f"(classes {seeds.start}–{seeds.stop - 1})"
        )
    quality = backtest(
        frame,
        prior=shipped_model(),
        leave_out=leave_out,
        weeks=judged,
        seed=seed_number,
        replicates=replicates,
    )
    click.echo(source)
    click.echo(
        "Each example: a student's quest still in progress at a cut, a whole number of weeks "
        "after it opened, against whether it was finished by the due date. The model starts "
        "from the one the platform ships and learns from the other folds."
    )
    click.echo("")
    click.echo(format_quality_report(quality))


def _weeks_option(value: str) -> tuple[int, ...]:
    """The --weeks option's whole weeks, or a usage error."""
    try:
        weeks = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError:
        weeks = ()
    if not weeks or weeks[0] < 1:
        raise click.BadParameter(
            f"{value!r} is not a list of whole weeks, such as 1,2,3.", param_hint="'--weeks'"
        )
    return weeks


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Rows as aligned text columns under a header and a rule."""
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]
    rule = ["-" * width for width in widths]
    lines = [[cell.ljust(width) for cell, width in zip(row, widths, strict=True)] for row in rows]
    heading = [cell.ljust(width) for cell, width in zip(header, widths, strict=True)]
    return "\n".join("  ".join(line).rstrip() for line in [heading, rule, *lines])


def _echo_preview(preview: RosterPreview) -> None:
    for note in preview.notes:
        click.echo(f"Note: {note}")
    for error in preview.errors:
        click.echo(f"Error: {error}", err=True)
    if preview.rows:
        rows = [
            [str(row.line), row.display_name, row.username, row.email or "", row.status]
            for row in preview.rows
        ]
        click.echo(_table(["Line", "Name", "Username", "Email", "Status"], rows))
        click.echo(preview.summary)


def _create_private(path: Path) -> TextIO:
    """A new file that only its owner can read; refused if it exists or its folder does not."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise click.ClickException(
            f"Cannot create {path} ({error.strerror}); nothing was imported."
        ) from None
    return open(descriptor, "w", encoding="utf-8", newline="")


@cli.command("import-notebook")
@click.argument(
    "notebook_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--author", "author_name", help="Username of the teacher the quest belongs to.")
@click.option("--dry-run", is_flag=True, help="Show what the notebook becomes; write nothing.")
def import_notebook_command(notebook_file: Path, author_name: str | None, dry_run: bool) -> None:
    """Import a Jupyter notebook as a draft quest, all or nothing (see docs/notebooks.md).

    Prints what each cell becomes, the stages, the notes and the problems; imports only when
    there is no problem.
    """
    author = None
    if author_name is not None:
        author = db.session.scalar(select(User).where(User.username == author_name.lower()))
        if author is None or not author.is_staff:
            raise click.ClickException(f"No teacher or administrator is named {author_name!r}.")
    with notebook_file.open("rb") as file:
        data = file.read(NOTEBOOK_MAX_BYTES + 1)
    plan = preview_notebook(data=data, file_name=notebook_file.name)
    _echo_plan(plan)
    if plan.problems:
        raise click.ClickException("Nothing was imported: correct the notebook and try again.")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    quest = import_notebook(data=data, file_name=notebook_file.name, by=author)
    click.echo(f"Imported {quest.title!r} as a draft quest (slug {quest.slug}, id {quest.id}).")
    if plan.missing_alt:
        click.echo("Describe its images in the quest editor before publishing it.")


def _echo_plan(plan: NotebookPlan) -> None:
    """A notebook's plan in the terminal: cells, stages, notes, problems."""
    notes = {finding.cell: [] for finding in (*plan.notes, *plan.problems)}
    for finding in plan.notes:
        notes[finding.cell].append(f"note: {finding.message}")
    for finding in plan.problems:
        notes[finding.cell].append(f"PROBLEM: {finding.message}")
    for line in notes.get(None, []):
        click.echo(line)
    for cell in plan.cells:
        click.echo(f"cell {cell.number} ({cell.cell_type}): {cell.becomes}")
        for line in notes.get(cell.number, []):
            click.echo(f"    {line}")
    if plan.stages:
        click.echo(f"Quest {plan.title!r}:")
        rows = [
            [str(number), stage.kind, stage.title, str(stage.points)]
            for number, stage in enumerate(plan.stages, start=1)
        ]
        click.echo(_table(["Stage", "Kind", "Title", "Points"], rows))


@cli.command("export-notebook")
@click.argument("slug")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (SLUG.ipynb in the current folder by default).",
)
def export_notebook_command(slug: str, out: Path | None) -> None:
    """Write a quest as a Jupyter notebook (.ipynb) that imports back as the same quest."""
    quest = db.session.scalar(select(Quest).where(Quest.slug == slug))
    if quest is None:
        raise click.ClickException(f"No quest has the slug {slug!r}.")
    path = out or Path(export_file_name(quest))
    path.write_bytes(exported_notebook(quest=quest))
    click.echo(f"Wrote {path}.")


@cli.command("import-roster")
@click.argument(
    "roster_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--classroom", "classroom_id", type=int, required=True, help="Id of the classroom to fill."
)
@click.option("--dry-run", is_flag=True, help="Check the file and show the rows; write nothing.")
@click.option(
    "--credentials-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the one-time passwords to this new CSV file (mode 600), not to the terminal.",
)
def import_roster_command(
    roster_file: Path, classroom_id: int, dry_run: bool, credentials_out: Path | None
) -> None:
    """Create students from a roster CSV file and enroll them in a classroom, all or nothing.

    The file layouts are described in docs/roster-import.md. Each student gets a one-time
    password, printed once (or written to --credentials-out).
    """
    classroom = db.session.get(Classroom, classroom_id)
    if classroom is None:
        classrooms = db.session.scalars(select(Classroom).order_by(Classroom.id))
        known = ", ".join(f"{c.id} ({c.name}, {c.term})" for c in classrooms)
        raise click.ClickException(
            f"No classroom has the id {classroom_id}. Classrooms: {known or 'none yet'}."
        )
    with roster_file.open("rb") as file:
        data = file.read(ROSTER_MAX_BYTES + 1)
    try:
        preview = preview_roster(data=data, classroom=classroom, by=None)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    _echo_preview(preview)
    if not preview.can_import:
        raise click.ClickException("Nothing was imported: correct the file and try again.")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    # The file exists before the import, so the passwords always have somewhere to go.
    output = _create_private(credentials_out) if credentials_out is not None else None
    try:
        credentials = import_roster(data=data, classroom=classroom, by=None)
    except ServiceError as error:
        if output is not None and credentials_out is not None:
            output.close()
            credentials_out.unlink()
        raise click.ClickException(error.message) from None
    students = "1 student" if len(credentials) == 1 else f"{len(credentials)} students"
    click.echo(f"Imported {students} into {classroom.name} ({classroom.term}).")
    if output is not None:
        with output:
            output.write(credentials_csv(credentials))
        click.echo(f"One-time passwords written to {credentials_out} (readable by you only).")
    else:
        click.echo("One-time passwords (shown once; students choose their own at first sign-in):")
        rows = [[c.display_name, c.username, c.password] for c in credentials]
        click.echo(_table(["Name", "Username", "One-time password"], rows))


@cli.command("backup")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (default: backups/quest-platform-<UTC time>.tar.gz in the "
    "instance folder).",
)
def backup_command(out: Path | None) -> None:
    """Back up the database and the uploaded files into one archive (docs/backups.md).

    The archive is readable by you only: it holds the accounts' password hashes.
    """
    # Imported here so that this command block stays one piece of the file.
    destination = out or default_backup_path(Path(current_app.instance_path), now=utcnow())
    started = time.perf_counter()
    try:
        backup = make_backup(app=current_app._get_current_object(), destination=destination)
    except BackupRefused as refusal:
        raise click.ClickException(f"{refusal} No backup was written.") from None
    manifest = backup.manifest
    click.echo(
        f"Wrote {backup.path} ({backup.size_bytes:,} bytes in "
        f"{time.perf_counter() - started:.1f} s; readable by you only)."
    )
    click.echo(
        f"Database ({manifest.engine}, migration {manifest.revision or 'none'}): "
        f"{describe_counts(manifest.counts)}; {describe_files(len(manifest.upload_files))}."
    )
    if manifest.revision != backup.expected_revision:
        click.echo(
            f"Note: the database is not at this code's migration {backup.expected_revision}; "
            "it restores only with the version of the platform at its own migration."
        )


@cli.command("restore")
@click.argument(
    "archive", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="ARCHIVE"
)
def restore_command(archive: Path) -> None:
    """Restore a backup into an empty database and upload folder (docs/backups.md).

    Everything is checked first; nothing is changed when the archive is damaged, was made by
    another version or for another database engine, or the database or folder are not empty.
    """
    try:
        restored = restore_backup(app=current_app._get_current_object(), archive=archive)
    except BackupRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    manifest = restored.manifest
    click.echo(f"Restored the backup of {manifest.created_at} from {archive}:")
    click.echo(
        f"the database ({manifest.engine}, migration {manifest.revision}): "
        f"{describe_counts(manifest.counts)};"
    )
    click.echo(f"{describe_files(len(manifest.upload_files))} into {restored.upload_dir}.")


if __name__ == "__main__":
    sys.exit(cli())
