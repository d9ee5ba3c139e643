#!/usr/bin/env python
"""The Quest Platform command line: run, db, seed, create-admin, create-teacher."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from quest_platform import create_app
from quest_platform.config import ConfigurationError
from quest_platform.extensions import db
from quest_platform.models import RoleName
from quest_platform.services import ServiceError
from quest_platform.services.accounts import create_user, generate_password
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
        )
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field or 'input'}: {error.message}") from None
    user.must_change_password = True
    db.session.commit()
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
@click.option("--force", is_flag=True, help="Seed the demo even if the database has data.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (successfully) if the database has data."
)
def seed(demo: bool, students: int | None, seed_number: int, force: bool, if_empty: bool) -> None:
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
            click.echo(seed_students(count=students, seed=seed_number, echo=click.echo))
    except SeedRefused as error:
        raise click.ClickException(str(error)) from None


if __name__ == "__main__":
    sys.exit(cli())
