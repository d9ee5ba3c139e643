"""Screenshots of the main screens, from a throwaway demo: ``make screenshots``.

Seeds the demo as of today into a temporary instance folder, serves it with ``manage.py run``,
and has Debian's Chromium (through Playwright) photograph each screen of :func:`demo_shots` in
the light and dark themes, at desktop and phone sizes. The PNGs and their index
(``README.md``) go to ``docs/screenshots/``; nothing outside the temporary folder is touched.

The screens are found from the demo's data (the first teacher's first classroom, its first
checkpoint waiting for review, a student in the middle of the quest due this week), never from
fixed ids, so a later run shows the pages as they are then.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flask import url_for
from PIL import Image
from sqlalchemy import select, update

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
THEMES = ("light", "dark")
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
# A long page is cut after this many screens' height: enough to show what it is, and small.
MAX_SCREENS = 2.5
# A demo sign-in line of instance/demo-logins.txt: role, username, password.
LOGIN_LINE = re.compile(r"^(?:admin|teacher|student)\s+(\S+)\s+(\S+)")


@dataclass(frozen=True)
class Shot:
    """One screen to photograph: its file name, what it shows, who signs in, and where."""

    name: str
    title: str
    username: str
    path: str


def demo_shots(*, now: datetime | None = None) -> list[Shot]:
    """The main screens of the demo in the database as of ``now`` (default: the present),
    with the people who see them.

    Needs an app context and a request context (for ``url_for``). Each screen is one line
    below: when a page moves or a new one arrives, change that line.
    """
    from quest_platform.extensions import db
    from quest_platform.models import (
        Attempt,
        Classroom,
        Enrollment,
        Outcome,
        QuestAssignment,
        Role,
        RoleName,
        User,
        utcnow,
    )
    from quest_platform.queries.progress import ProgressStatus, StageState, progress_for

    now = now or utcnow()
    teacher = db.session.scalars(
        select(User).join(User.roles).where(Role.name == RoleName.TEACHER.value).order_by(User.id)
    ).first()
    if teacher is None:
        raise LookupError("no teacher: is the demo seeded?")
    classroom = db.session.scalars(
        select(Classroom).where(Classroom.teachers.contains(teacher)).order_by(Classroom.id)
    ).first()
    if classroom is None:
        raise LookupError(f"{teacher.username} teaches no classroom")
    due_this_week = db.session.scalars(
        select(QuestAssignment)
        .where(
            QuestAssignment.classroom_id == classroom.id,
            QuestAssignment.opens_at <= now,
            QuestAssignment.due_at >= now,
        )
        .order_by(QuestAssignment.due_at)
    ).first()
    if due_this_week is None:
        raise LookupError(f"{classroom.name} has no open quest")
    quest = due_this_week.quest
    author = quest.author or teacher
    waiting = db.session.scalars(
        select(Attempt)
        .join(Enrollment, Enrollment.student_id == Attempt.student_id)
        .where(
            Enrollment.classroom_id == classroom.id,
            Attempt.outcome == Outcome.PENDING_REVIEW.value,
        )
        .order_by(Attempt.submitted_at, Attempt.id)
    ).first()
    if waiting is None:
        raise LookupError(f"no checkpoint waits for review in {classroom.name}")

    students = sorted((e.student for e in classroom.enrollments), key=lambda s: s.username)
    on_quest = [(s, progress_for(student=s, quest=quest, now=now)) for s in students]
    # Someone on the quest due this week, a quiz to do next if anyone has one.
    working = sorted(
        (
            (progress.next_stage.stage.kind != "quiz", student.username, student, progress)
            for student, progress in on_quest
            if progress.status == ProgressStatus.IN_PROGRESS and progress.next_stage is not None
        ),
        key=lambda item: item[:2],
    )
    if not working:
        raise LookupError(f"nobody is working on {quest.slug}")
    _, _, worker, work = working[0]
    stage = work.next_stage
    if stage is None:
        raise LookupError(f"{worker.username} has nothing left to do")
    # For the quest map: someone with a checkpoint waiting for review, else the same worker.
    waiter = next(
        (
            student
            for student, progress in on_quest
            if any(s.state == StageState.AWAITING_REVIEW for s in progress.stages)
        ),
        worker,
    )
    finished = next(
        (
            (student, assignment.quest)
            for student in students
            for assignment in classroom.assignments
            if progress_for(student=student, quest=assignment.quest, now=now).status
            == ProgressStatus.DONE
        ),
        None,
    )
    if finished is None:
        raise LookupError(f"nobody in {classroom.name} has finished a quest")
    finisher, finished_quest = finished

    return [
        Shot("teacher-home", "Teacher home", teacher.username, url_for("admin.index")),
        Shot(
            "quest-editor",
            f"Quest editor ({quest.title})",
            author.username,
            url_for("quest.details_view", id=quest.id),
        ),
        Shot(
            "checkpoint-review",
            "Checkpoint review",
            teacher.username,
            url_for("attempt.details_view", id=waiting.id),
        ),
        Shot("quest-map", "Quest map", waiter.username, url_for("portal.quest_map")),
        Shot(
            "stage",
            f"Stage page ({stage.stage.title})",
            worker.username,
            url_for("portal.stage", slug=quest.slug, position=stage.stage.position),
        ),
        Shot(
            "quest-complete",
            f"Quest complete ({finished_quest.title})",
            finisher.username,
            url_for("portal.complete", slug=finished_quest.slug),
        ),
    ]


def demo_logins(path: Path) -> dict[str, str]:
    """The demo's sign-ins written by ``manage.py seed --demo``: username -> password."""
    logins = {}
    for line in path.read_text("utf-8").splitlines():
        if match := LOGIN_LINE.match(line):
            logins[match.group(1)] = match.group(2)
    return logins


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def manage(env: dict[str, str], *args: str) -> None:
    """Run a manage.py command for the throwaway instance; stop on failure."""
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def answers(port: int) -> bool:
    """Whether the server on ``port`` serves the sign-in page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/login")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    """Serve the throwaway instance with ``manage.py run``; yield its base URL."""
    command = [sys.executable, "manage.py", "run", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def compact_png(shot: bytes, *, height: int, target: Path) -> None:
    """Save a screenshot cut to at most MAX_SCREENS screens tall, in 256 colours."""
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    limit = int(height * MAX_SCREENS)
    if image.height > limit:
        image = image.crop((0, 0, image.width, limit))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        target, optimize=True
    )


def photograph(base: str, shots: Sequence[Shot], logins: dict[str, str], out: Path) -> None:
    """Take every shot in every theme and viewport, writing ``<name>-<viewport>-<theme>.png``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for theme in THEMES:
            set_theme(theme)
            for viewport, (width, height) in VIEWPORTS.items():
                for shot in shots:
                    context = browser.new_context(
                        base_url=base,
                        viewport={"width": width, "height": height},
                        color_scheme="dark" if theme == "dark" else "light",
                        reduced_motion="reduce",
                        locale="en-US",
                    )
                    page = context.new_page()
                    sign_in(page, shot.username, logins[shot.username])
                    response = page.goto(shot.path, wait_until="networkidle")
                    if response is None or not response.ok:
                        status = response.status if response else "no answer"
                        raise RuntimeError(f"{shot.name}: {shot.path} answered {status}")
                    target = out / f"{shot.name}-{viewport}-{theme}.png"
                    compact_png(page.screenshot(full_page=True), height=height, target=target)
                    print(f"  {target.relative_to(ROOT)}")
                    context.close()
        browser.close()


def sign_in(page: Page, username: str, password: str) -> None:
    """Sign in through the login form's own request, sharing the page's cookies."""
    form = page.request.get("/login").text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("no CSRF token on /login")
    response = page.request.post(
        "/login",
        form={"email": username, "password": password, "csrf_token": token.group(1)},
        max_redirects=0,
    )
    if response.status != 302:
        raise RuntimeError(f"{username} could not sign in ({response.status})")


def set_theme(theme: str) -> None:
    """Give every demo user ``theme``: signed-in people see the theme of their preferences."""
    from quest_platform.extensions import db
    from quest_platform.models import User

    db.session.execute(update(User).values(theme=theme))
    db.session.commit()


def write_index(shots: Sequence[Shot], out: Path, day: date) -> None:
    """Write the folder's README.md: every screen, with its four pictures."""
    lines = [
        "# Screenshots",
        "",
        f"The main screens of the demo, made by `make screenshots` on {day.isoformat()} "
        "(tools/screenshots.py): light and dark themes, desktop (1280×800) and phone (390×844). "
        f"Long pages are cut after {MAX_SCREENS:g} screens.",
        "",
        "| Screen | Signed in as | Desktop | Phone |",
        "| --- | --- | --- | --- |",
    ]
    for shot in shots:
        cells = [
            " · ".join(f"[{theme}]({shot.name}-{viewport}-{theme}.png)" for theme in THEMES)
            for viewport in VIEWPORTS
        ]
        lines.append(f"| {shot.title} | `{shot.username}` | {cells[0]} | {cells[1]} |")
    for shot in shots:
        lines += ["", f"## {shot.title}", "", f"`{shot.username}` at `{shot.path}`", ""]
        lines += [
            f"![{shot.title}, {viewport}, {theme}]({shot.name}-{viewport}-{theme}.png)"
            for viewport in VIEWPORTS
            for theme in THEMES
        ]
    (out / "README.md").write_text("\n".join(lines) + "\n", "utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the PNGs go")
    arguments = parser.parse_args(argv)
    out: Path = arguments.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="quest-screenshots-") as folder:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "UPLOAD_DIR", "QUEST_ENV"}
        }
        env.update(QUEST_ENV="development", QUEST_INSTANCE_DIR=folder, PYTHONUNBUFFERED="1")
        print(f"Seeding a throwaway demo in {folder}…")
        manage(env, "db", "upgrade")
        manage(env, "seed", "--demo")

        # The app reads its instance folder when imported: only now, pointed at the throwaway.
        os.environ.update(QUEST_INSTANCE_DIR=folder)
        os.environ.pop("DATABASE_URL", None)
        from quest_platform import create_app
        from seeds.load import DemoCalendar

        app = create_app("development")
        with app.app_context():
            with app.test_request_context():
                shots = demo_shots()
            logins = demo_logins(Path(app.config["DEMO_LOGINS_FILE"]))
            for stale in out.glob("*.png"):
                stale.unlink()
            with serving(env, free_port()) as base:
                print(f"Photographing {len(shots)} screens at {base}…")
                photograph(base, shots, logins, out)
            write_index(shots, out, DemoCalendar.today().day)
    total = sum(path.stat().st_size for path in out.glob("*.png"))
    print(f"Wrote {out.relative_to(ROOT)}/ ({total / 1_000_000:.1f} MB).")


if __name__ == "__main__":
    main()
