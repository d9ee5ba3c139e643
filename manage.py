#!/usr/bin/env python
"""The Quest Platform command line: run, db, seed, create-admin, create-teacher, import-roster."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup
from sqlalchemy import select

from quest_platform import create_app
from quest_platform.config import ConfigurationError
from quest_platform.extensions import db
from quest_platform.models import Classroom, RoleName
from quest_platform.services import ServiceError
from quest_platform.services.accounts import create_user, generate_password
from quest_platform.services.roster_import import (
    ROSTER_MAX_BYTES,
    RosterPreview,
    credentials_csv,
    import_roster,
    preview_roster,
)
from seeds.load import SeedRefused, database_is_empty, seed_demo, seed_students


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
    try:
        if demo:
            summary = seed_demo(seed=seed_number, echo=click.echo)
            click.echo(summary)
        if students is not None:
            summary = seed_students(
                count=students,
                seed=seed_number,
                quest_count=quest_count,
                class_size=class_size,
                echo=click.echo,
            )
            click.echo(summary)
    except SeedRefused as error:
        raise click.ClickException(str(error)) from None


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


if __name__ == "__main__":
    sys.exit(cli())
