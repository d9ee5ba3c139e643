"""A live game in real browsers: a teacher opens a game on a quiz and a timed quiz in the admin
and lands on the host screen (code and QR code) for the projector; three students join on their
phones, by the code, by the join link and from the list of their classes' open games; the host
starts, the players answer (one by keyboard only, one reloading mid-question), each question's
answers are revealed and the podium comes last, in order of points. The quiz's answers are
recorded as attempts. axe finds nothing on either screen in any theme, nor in Spanish.

With GAME_SHOTS set to a folder, the screens are also photographed there at each step, on a
desktop (1280×800) and a phone (390×844), light and dark.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from axe_checks import assert_accessible_in_every_theme
from helpers import PASSWORD
from playwright.sync_api import Page, expect
from sign_in import sign_in
from sqlalchemy import func, select

from quest_platform.extensions import db
from quest_platform.models import Attempt, Game, GameAnswer, GameStatus
from quest_platform.services.attempts import submit_attempt

LESSON, QUIZ = 0, 1  # a builders' quest's first lesson and its quiz (its timed quiz: "Speed round")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("GAME_SHOTS")
# How long a page may take to connect over Socket.IO and hear the game the first time.
LIVE_MS = 20_000


def shoot(page: Page, name: str) -> None:
    """With GAME_SHOTS set, photograph the page as it is on a desktop and a phone, light and
    dark; then put back its size and theme."""
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    theme = page.evaluate("document.documentElement.dataset.theme")
    for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for shown in ("light", "dark"):
            page.evaluate("theme => { document.documentElement.dataset.theme = theme; }", shown)
            page.screenshot(path=folder / f"{name}-{device}-{shown}.png", full_page=True)
    page.evaluate("theme => { document.documentElement.dataset.theme = theme; }", theme)
    if size:
        page.set_viewport_size(size)


def in_spanish(open_page: Callable[..., Page], page: Page, step: str) -> None:
    """The page, opened as it is by a browser in Spanish (signed in as the same person), renders
    in Spanish and axe finds nothing on it."""
    spanish = open_page(viewport=page.viewport_size, locale="es-MX")
    spanish.context.add_cookies(page.context.cookies())
    spanish.goto(page.url)
    expect(spanish.locator("html")).to_have_attribute("lang", "es")
    expect(spanish.locator("#game")).to_have_attribute("data-status", "lobby")
    assert_accessible_in_every_theme(spanish, f"{step}, in Spanish")
    spanish.context.close()


def open_the_game(host: Page, classroom: Any) -> Game:
    """The teacher opens a game on the quiz and the timed quiz, other settings as they come."""
    host.goto("/admin/games/new/")
    host.get_by_label("Class", exact=True).select_option(
        label=f"{classroom.name} ({classroom.term})"
    )
    host.get_by_label(re.compile(r"Sessions quiz$")).check()
    host.get_by_label(re.compile(r"Speed round$")).check()
    with host.expect_navigation():
        host.get_by_role("button", name="Open the game").click()
    game = db.session.scalar(select(Game).where(Game.classroom_id == classroom.id))
    assert game is not None
    assert host.url.endswith(f"/games/{game.id}/host")
    assert (game.points_per_question, game.seconds_per_question) == (1000, 20)
    assert game.speed_scoring
    assert game.streak_bonus
    return game


def choice(page: Page, letter: str, words: str) -> Any:
    """A player's button for a choice, named by its letter and words (its shape is hidden)."""
    return page.locator("#game-choices").get_by_role("button", name=f"{letter} {words}")


def test_a_class_plays_a_live_game_from_lobby_to_podium(
    make: Any, open_page: Callable[..., Page]
) -> None:
    teacher = make.teacher(password=PASSWORD)
    students = [make.student(password=PASSWORD) for _ in range(3)]
    classroom = make.classroom(teachers=[teacher], students=students)
    quest = make.quest(author=teacher)
    make.assignment(quest=quest, classroom=classroom)
    # Stages open in order: the lesson before the quiz, so the game's answers can be recorded.
    for student in students:
        submit_attempt(
            student=student,
            quest=quest,
            stage=quest.stages[LESSON],
            answer={"confirmed": True},
            submission_key=f"lesson-{student.id}",
        )
    names = [student.pseudonym for student in students]

    host = open_page(viewport=DESKTOP)
    sign_in(host, teacher.username)
    game = open_the_game(host, classroom)
    code = game.code
    expect(host.get_by_role("heading", level=1)).to_have_text(f"Live game: {classroom.name}")
    expect(host.get_by_role("heading", level=2)).to_have_text("Waiting for players to join.")
    expect(host.locator(".game-code")).to_have_text(f"{code[:3]} {code[3:]}")
    expect(host.get_by_role("img", name=f"QR code: join game {code}")).to_be_visible()
    # The first word over Socket.IO: a loaded machine (CI's) may take a while to connect.
    expect(host.locator("#game-players")).to_have_text("0 players have joined.", timeout=LIVE_MS)
    expect(host.get_by_role("button", name="Start the game")).to_be_disabled()

    # Three students join on their phones: by the code, by the join link, from the list.
    players = []
    for student in students:
        player = open_page(viewport=PHONE, has_touch=True, is_mobile=True)
        sign_in(player, student.username)
        players.append(player)
    ana, ben, cai = players
    ana.goto("/games/")
    ana.get_by_label("Game code").fill(code)
    with ana.expect_navigation():
        ana.get_by_role("button", name="Join", exact=True).click()
    ben.goto(f"/games/join/{code}")
    expect(ben.get_by_label("Game code")).to_have_value(code)
    with ben.expect_navigation():
        ben.get_by_role("button", name="Join", exact=True).click()
    cai.goto("/games/")
    open_games = cai.get_by_role("region", name="Open games of your classes")
    expect(open_games).to_contain_text(f"{classroom.name}, hosted by {teacher.display_name}")
    with cai.expect_navigation():
        open_games.get_by_role("button", name=f"Join Game code {code}").click()
    for player, name in zip(players, names, strict=True):
        assert player.url.endswith(f"/games/{game.id}/play")
        expect(player.get_by_role("heading", level=2)).to_have_text(
            "Waiting for the host to start the game."
        )
        expect(player.locator("#game-score")).to_contain_text(f"{name} · 0 points", timeout=LIVE_MS)

    # The lobby fills without a reload.
    expect(host.locator("#game-players")).to_have_text("3 players have joined.")
    expect(host.locator("#game-lobby li")).to_have_text(sorted(names))
    expect(host.get_by_role("button", name="Start the game")).to_be_enabled()
    assert_accessible_in_every_theme(host, "the host's lobby")
    assert_accessible_in_every_theme(ana, "a player's lobby")
    in_spanish(open_page, host, "the host's lobby")
    in_spanish(open_page, ana, "a player's lobby")
    expect(host.locator("#game-lobby li")).to_have_count(3)
    shoot(host, "host-lobby")
    shoot(ana, "player-lobby")

    # Question 1 (one answer; the right one is "Server"). The players' screens follow.
    host.get_by_role("button", name="Start the game").click()
    expect(host.get_by_role("heading", level=2)).to_have_text("Question 1 of 2")
    expect(host.locator("#game-prompt")).to_have_text("Where is session data kept?")
    expect(host.locator("#game-choices li")).to_have_text(["▲ABrowser", "◆BServer"])
    expect(host.locator("#game-clock")).to_have_text(re.compile(r"Time left: (20|1\d)"))
    for player in players:
        expect(player.get_by_role("heading", level=2)).to_have_text("Question 1 of 2")
        expect(player.get_by_role("group", name="Where is session data kept?")).to_be_visible()
        expect(choice(player, "A", "Browser")).to_be_enabled()
        expect(choice(player, "B", "Server")).to_be_enabled()
    assert_accessible_in_every_theme(ben, "a player's question")
    assert_accessible_in_every_theme(host, "the host's question")

    # Ana answers by touch, then reloads before the answers are shown: she comes back as
    # herself, her answer sent, her score as it was.
    choice(ana, "B", "Server").tap()
    expect(ana.locator("#game-feedback")).to_have_text(
        "Answer sent. Wait for the answers to be shown."
    )
    expect(host.locator("#game-answered")).to_have_text("1 of 3 players have answered.")
    score_before = ana.locator("#game-score").inner_text()
    ana.reload()
    expect(ana.get_by_role("heading", level=2)).to_have_text("Question 1 of 2")
    expect(ana.locator("#game-feedback")).to_have_text(
        "Answer sent. Wait for the answers to be shown."
    )
    expect(choice(ana, "B", "Server")).to_be_disabled()
    expect(ana.locator("#game-score")).to_contain_text(names[0])
    score_after_reload = ana.locator("#game-score").inner_text()

    # Ben answers with the keyboard only: from the question's heading, Tab to a choice, Enter.
    expect(ben.get_by_role("heading", level=2)).to_be_focused()
    ben.keyboard.press("Tab")
    expect(choice(ben, "A", "Browser")).to_be_focused()
    ben.keyboard.press("Tab")
    expect(choice(ben, "B", "Server")).to_be_focused()
    ben.keyboard.press("Enter")
    expect(ben.locator("#game-feedback")).to_have_text(
        "Answer sent. Wait for the answers to be shown."
    )
    expect(host.locator("#game-answered")).to_have_text("2 of 3 players have answered.")
    shoot(host, "host-question")
    shoot(cai, "player-question")

    # Cai answers wrongly; with every answer in, the answers are shown by themselves.
    choice(cai, "A", "Browser").click()
    expect(choice(cai, "A", "Browser")).to_contain_text("Your answer")
    expect(host.locator("#game")).to_have_attribute("data-status", "reveal")
    expect(host.locator("#game-answered")).to_have_text("3 of 3 players have answered.")
    expect(host.locator("#game-clock")).to_be_empty()
    counts = host.get_by_role("table", name="Answers")
    expect(counts.locator("tbody tr")).to_have_count(2)
    expect(counts.locator("tbody tr").nth(0)).to_contain_text("1 player")
    expect(counts.locator("tbody tr").nth(1)).to_contain_text("Right answer")
    expect(counts.locator("tbody tr").nth(1)).to_contain_text("2 players")
    leaders = host.get_by_role("table", name="Leaderboard")
    expect(leaders.locator("tbody tr")).to_have_count(3)
    first = points_of(game)
    for player, student in zip(players, students, strict=True):
        earned = first[student.id]
        if earned:
            expect(player.locator("#game-feedback")).to_have_text(f"Right! +{earned:,} points")
        else:
            expect(player.locator("#game-feedback")).to_have_text("Not this time.")
        expect(player.locator("#game-score")).to_contain_text(f"{earned:,} points")
        expect(player.locator(".game-choice-right")).to_contain_text("Server")
    assert first[students[2].id] == 0
    assert first[students[0].id] > 500
    assert first[students[1].id] > 500
    assert_accessible_in_every_theme(host, "the host's reveal")
    assert_accessible_in_every_theme(cai, "a player's result")
    shoot(host, "host-reveal")
    shoot(cai, "player-reveal")

    # Question 2 (a short answer: POST). Ben again by keyboard: Tab to the box, type, Enter.
    host.get_by_role("button", name="Next question").click()
    for player in players:
        expect(player.get_by_role("heading", level=2)).to_have_text("Question 2 of 2")
        expect(player.get_by_role("textbox", name="Your answer")).to_be_enabled()
    ana.get_by_role("textbox", name="Your answer").fill("POST")
    ana.get_by_role("button", name="Send my answer").click()
    expect(ana.locator("#game-feedback")).to_have_text(
        "Answer sent. Wait for the answers to be shown."
    )
    expect(ben.get_by_role("heading", level=2)).to_be_focused()
    ben.keyboard.press("Tab")
    expect(ben.get_by_role("textbox", name="Your answer")).to_be_focused()
    ben.keyboard.type("post")
    ben.keyboard.press("Enter")
    expect(ben.locator("#game-feedback")).to_have_text(
        "Answer sent. Wait for the answers to be shown."
    )
    assert_accessible_in_every_theme(cai, "a player's short-answer question")
    cai.get_by_role("textbox", name="Your answer").fill("GET")
    cai.get_by_role("textbox", name="Your answer").press("Enter")
    expect(host.locator("#game")).to_have_attribute("data-status", "reveal")
    expect(host.locator("#game-accepted")).to_have_text("Accepted answers: POST")
    expect(cai.locator("#game-feedback")).to_have_text("Not this time.")
    expect(ana.locator("#game-feedback")).to_contain_text("Right!")
    assert_accessible_in_every_theme(host, "the host's reveal of a short answer")
    shoot(host, "host-reveal-short")

    # The podium, in order of points, on the host's screen and the players'.
    host.get_by_role("button", name="Show the podium").click()
    expect(host.get_by_role("heading", level=2)).to_have_text("The game is over.")
    totals = points_of(game)
    by_points = sorted(students, key=lambda student: (-totals[student.id], student.pseudonym))
    podium = [f"{student.pseudonym} · {totals[student.id]:,} points" for student in by_points]
    assert by_points[-1] == students[2]
    expect(host.locator("#game-podium-list li")).to_have_text(podium)
    for player in players:
        expect(player.get_by_role("heading", level=2)).to_have_text("The game is over.")
        expect(player.locator("#game-podium-list li")).to_have_text(podium)
    assert_accessible_in_every_theme(host, "the host's podium")
    assert_accessible_in_every_theme(ana, "a player's podium")
    shoot(host, "host-podium")
    shoot(ana, "player-podium")

    # The quiz's answers are attempts now, in the teacher's list.
    db.session.expire_all()
    finished = db.session.get(Game, game.id)
    assert finished is not None
    assert finished.status == GameStatus.FINISHED
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.stage_id == quest.stages[QUIZ].id)
    ).all()
    assert sorted((a.student_id, a.outcome) for a in attempts) == sorted(
        [(students[0].id, "passed"), (students[1].id, "passed"), (students[2].id, "failed")]
    )
    host.goto("/admin/attempt/")
    quiz_rows = host.locator("table tbody tr").filter(has_text="Sessions quiz")
    expect(quiz_rows).to_have_count(3)
    for student in students:
        expect(quiz_rows.filter(has_text=student.display_name)).to_have_count(1)

    # Checked last, so that the rest of the game is checked whatever this finds.
    assert score_after_reload == score_before, (
        "a player who reloads before the reveal sees a different score (the points of an "
        "answer not yet revealed?)"
    )


def points_of(game: Game) -> dict[int, int]:
    """Each player's points in ``game`` so far, by student id."""
    db.session.expire_all()
    rows = db.session.execute(
        select(GameAnswer.student_id, func.sum(GameAnswer.points))
        .where(GameAnswer.game_id == game.id)
        .group_by(GameAnswer.student_id)
    )
    return {int(student_id): int(points) for student_id, points in rows}
