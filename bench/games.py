"""The games scenario: a whole class of bots plays a live game over Socket.IO.

Setup (not timed): a scale classroom of as many students as the largest ``--players`` count, a
published quest of the demo's choice questions given to it, and one game per player count,
opened by the classroom's teacher with ``open_game(seconds=20)`` and ``--rounds`` questions, with
that many of the classroom's students joined (``join_game``). Every student then signs in through
the login form, a few at a time, on a separate server: its session cookie is what a bot connects
with.

For each player count, the baseline (bench/socket_baseline.py: a bare Flask-SocketIO app with
the same protocol) and then the platform are served by gunicorn on loopback, one gthread worker
with a thread for every connection, and the same bots play against each: every player's bot in
one asyncio process (python-socketio's client over WebSocket), plus the host's bot. Each round:

- the host sends ``next`` at t0; each bot notes when the question reaches it (delivery = its
  arrival - t0, both read from this process's clock);
- each bot waits 0-1 s at random, answers a random choice and times the acknowledgement; an
  answer refused, or not acknowledged within ``ANSWER_TIMEOUT``, is lost, and so is the answer
  of a bot the question never reached;
- once every bot has answered (or given up) the host sends ``reveal``, and the next round starts.

After the last round the host ends the game (the platform records every player's answers as
attempts; the baseline has no such move). The answers in the database are then counted: as many
as the acknowledgements that said ok. Reported per count: connect and ``play`` time of all bots,
delivery p50/p99, acknowledgement p50/p99, lost answers, answers acknowledged and recorded, the
gunicorn worker's peak RSS, the host's reveal and end-of-game times, each with its ratio to the
baseline's. Goals (at 1,000 players): p99 delivery <= 500 ms, p99 acknowledgement <= 250 ms,
no answer lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import socketio
from sqlalchemy import select

from bench.harness import (
    gunicorn,
    gunicorn_process,
    run_json,
    run_manage,
    scalar,
    sign_in,
)

NAMESPACE = "/games"
# A bot waits this long for its answer's acknowledgement before counting it lost.
ANSWER_TIMEOUT = 10.0
# Bots connecting at once: a class arrives within seconds, not in one instant.
CONNECTS_AT_ONCE = 50
# Server threads beyond one per connection (the host's, a stray HTTP request).
SPARE_THREADS = 20
# Students signing in at once (Argon2 on two cores: more only queue).
SIGN_INS_AT_ONCE = 4
# The goals of the issue, at 1,000 players.
DELIVERY_GOAL_MS = 500
ACK_GOAL_MS = 250
PLATFORM_APP = "quest_platform:create_app()"
BASELINE_APP = "bench.socket_baseline:app"


# Setup, run in a fresh process on the bench database (``python -m bench.games``).


def game_quiz(classroom: Any, rounds: int) -> Any:
    """A published quest given to ``classroom`` whose first stage is a quiz of ``rounds`` of the
    demo's choice questions (a bot picks a choice at random, so no short answers)."""
    from quest_platform.extensions import db
    from quest_platform.models import User, utcnow
    from quest_platform.services.games import GAME_KINDS
    from quest_platform.services.quests import assign_quest, create_quest, publish_quest
    from seeds.load import load_quest_files, stage_drafts

    documents = load_quest_files()
    asked = [
        question
        for document in documents
        for draft in stage_drafts(document)
        if draft.kind in GAME_KINDS
        for question in draft.settings.get("questions", [])
        if question.get("type") != "short"
    ]
    questions = [{**asked[n % len(asked)], "id": f"round-{n + 1}"} for n in range(rounds)]
    drafts = stage_drafts(documents[0])
    quiz = next(draft for draft in drafts if draft.kind == "quiz")
    drafts = [replace(quiz, settings={**quiz.settings, "questions": questions}), *drafts]
    drafts.remove(quiz)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    quest = create_quest(
        slug="bench-live-game",
        title=f"{documents[0]['title']} (live game)",
        theme=documents[0]["theme"],
        summary=documents[0]["summary"],
        stages=drafts,
        author=admin,
    )
    publish_quest(quest=quest, by=admin)
    now = utcnow()
    assign_quest(
        quest=quest,
        classroom=classroom,
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=30),
        by=admin,
    )
    db.session.commit()
    return quest.stages[0]


def prepare(players: list[int], rounds: int) -> dict[str, Any]:
    """Open one game per player count in the largest classroom, its first students joined;
    return the teacher's and students' usernames and the games' ids."""
    from bench.prepare import largest_classroom
    from quest_platform import create_app
    from quest_platform.extensions import db
    from quest_platform.models import Classroom, Enrollment, User
    from quest_platform.services.games import join_game, open_game

    app = create_app()
    with app.app_context():
        classroom = db.session.get(Classroom, largest_classroom())
        teacher = classroom.teachers[0]
        stage = game_quiz(classroom, rounds)
        students = list(
            db.session.scalars(
                select(User)
                .join(Enrollment, Enrollment.student_id == User.id)
                .where(Enrollment.classroom_id == classroom.id)
                .order_by(User.id)
            )
        )
        if len(students) < max(players):
            raise SystemExit(f"the classroom has {len(students)} students, fewer than needed")
        games = []
        for count in players:
            game = open_game(classroom=classroom, stages=[stage], by=teacher, seconds=20)
            for student in students[:count]:
                join_game(code=game.code, student=student)
            games.append(game.id)
        return {
            "teacher": teacher.username,
            "students": [student.username for student in students],
            "games": games,
        }


# The servers.


@contextmanager
def threaded_gunicorn(
    app: str, *, env: dict[str, str], threads: int, log: Path
) -> Iterator[tuple[int, int]]:
    """Serve ``app`` with one gunicorn gthread worker of ``threads`` threads on loopback (a
    WebSocket holds its thread for as long as it is open), its output in ``log``; yield the port
    and the worker's pid once it answers."""
    options = (
        *("--workers", "1", "--worker-class", "gthread", "--threads", str(threads)),
        # gthread takes no more connections than this at once (1,000 unless told).
        *("--worker-connections", str(threads)),
    )
    with gunicorn_process(app, env=env, options=options, log=log) as (port, process):
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        yield port, int(children[0])


def tracebacks(log: str) -> list[str]:
    """The tracebacks in a server's output, each with the lines up to its exception."""
    found = []
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = block.splitlines()
        end = next((n for n, line in enumerate(lines) if line and not line[0].isspace()), 0)
        found.append("Traceback (most recent call last):" + "\n".join(lines[: end + 1]))
    return found


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else float("nan")


# The bots.


@dataclass
class Answer:
    """One bot's answer to one question: acknowledged ok or not, and how long that took."""

    ok: bool
    ack_ms: float | None
    error: str | None = None


@dataclass
class Player:
    """A player's bot: it answers every question it is shown, after 0-1 s, at random."""

    game: int
    rounds: int
    client: socketio.AsyncClient = field(
        default_factory=lambda: socketio.AsyncClient(reconnection=False)
    )
    # Position -> when the question arrived (perf_counter seconds), and the answer sent to it.
    shown: dict[int, float] = field(default_factory=dict)
    answers: dict[int, Answer] = field(default_factory=dict)
    # Position -> set once the bot has answered it (or given up).
    done: dict[int, asyncio.Event] = field(default_factory=dict)
    # The answers on their way (asyncio keeps only weak references to tasks).
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Why the connection closed, if it did before the bot left.
    dropped: str | None = None

    def __post_init__(self) -> None:
        self.done = {position: asyncio.Event() for position in range(1, self.rounds + 1)}
        self.client.on("game", self.on_game, namespace=NAMESPACE)
        self.client.on("disconnect", self.on_disconnect, namespace=NAMESPACE)

    async def on_disconnect(self, reason: Any = None) -> None:
        self.dropped = str(reason)

    async def on_game(self, document: dict[str, Any]) -> None:
        position = document.get("position")
        if (
            document.get("status") == "question"
            and position in self.done
            and position not in self.shown
        ):
            self.shown[position] = time.perf_counter()
            self.tasks.append(asyncio.create_task(self.answer(position, document["question"])))

    async def answer(self, position: int, question: dict[str, Any]) -> None:
        # A class does not answer in one instant: each player reads, then taps.
        await asyncio.sleep(random.random())
        choice = random.randrange(len(question["choices"]))
        message = {"game": self.game, "position": position, "response": [choice]}
        sent = time.perf_counter()
        try:
            reply = await self.client.call(
                "answer", message, namespace=NAMESPACE, timeout=ANSWER_TIMEOUT
            )
            ack_ms = (time.perf_counter() - sent) * 1000
            ok = isinstance(reply, dict) and reply.get("ok") is True
            error = None if ok else str(reply.get("error") if isinstance(reply, dict) else reply)
            self.answers[position] = Answer(ok, ack_ms, error)
        except socketio.exceptions.TimeoutError:
            self.answers[position] = Answer(False, None, f"no ack within {ANSWER_TIMEOUT:.0f} s")
        except Exception as error:  # a closed connection: the answer is lost, say why
            self.answers[position] = Answer(False, None, repr(error))
        self.done[position].set()


async def connect(client: socketio.AsyncClient, url: str, cookie: str | None) -> None:
    """Open a WebSocket to the ``/games`` namespace as the page of the signed-in ``cookie``."""
    # Engine.IO compares the Origin with the host: a page of the platform sends its own.
    headers = {"Origin": url} | ({"Cookie": cookie} if cookie else {})
    await client.connect(
        url, headers=headers, transports=["websocket"], namespaces=[NAMESPACE], wait_timeout=60
    )


@dataclass
class Run:
    """What one server did for one player count."""

    connected: int = 0
    refused: list[str] = field(default_factory=list)
    connect_s: float = 0.0
    delivery_ms: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    expected: int = 0
    ok: int = 0
    lost: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    reveal_ms: list[float] = field(default_factory=list)
    finish_s: float | None = None
    recorded: int = 0
    rss_mb: float = 0.0
    # Bots whose connection closed during the game, by the reason the client gave.
    dropped: dict[str, int] = field(default_factory=dict)
    # A host's move that failed or was never acknowledged (the game stops there).
    host_failed: str | None = None
    # The server's output: anything it printed is worth reading (it logs warnings and up).
    log: str = ""


async def play_game(
    port: int,
    game: int,
    cookies: list[str | None],
    host_cookie: str | None,
    rounds: int,
    *,
    finish: bool,
) -> Run:
    """Connect the host and every player, play ``rounds`` rounds, end the game if ``finish``."""
    url = f"http://127.0.0.1:{port}"
    run = Run(expected=len(cookies) * rounds)
    host = socketio.AsyncClient(reconnection=False)
    await connect(host, url, host_cookie)
    reply = await host.call("host", {"game": game}, namespace=NAMESPACE, timeout=30)
    if not reply.get("ok"):
        raise SystemExit(f"the host could not take its place: {reply}")

    players = [Player(game, rounds) for _ in cookies]
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def join(player: Player, cookie: str | None) -> bool:
        async with gate:
            try:
                await connect(player.client, url, cookie)
                reply = await player.client.call(
                    "play", {"game": game}, namespace=NAMESPACE, timeout=60
                )
            except Exception as error:
                run.refused.append(repr(error))
                return False
            if not (isinstance(reply, dict) and reply.get("ok")):
                run.refused.append(f"play refused: {reply}")
                return False
            return True

    begun = time.perf_counter()
    joined = await asyncio.gather(*(join(p, c) for p, c in zip(players, cookies, strict=True)))
    run.connect_s = time.perf_counter() - begun
    playing = [player for player, ok in zip(players, joined, strict=True) if ok]
    run.connected = len(playing)

    async def move(event: str, data: dict[str, Any], timeout: float) -> float | None:
        """The host's move: how long its acknowledgement took in ms, or None (noted) if it
        failed or never came."""
        began = time.perf_counter()
        try:
            reply = await host.call(event, data, namespace=NAMESPACE, timeout=timeout)
        except Exception as error:  # no ack in time, or the host's connection closed
            reply = f"{type(error).__name__} after {time.perf_counter() - began:.0f} s"
        if isinstance(reply, dict) and reply.get("ok"):
            return (time.perf_counter() - began) * 1000
        run.host_failed = f"{event} {data}: {reply}"
        return None

    for position in range(1, rounds + 1):
        t0 = time.perf_counter()
        if await move("next", {"game": game, "position": position - 1}, 120) is None:
            break
        # Every answer is in 1 s plus its timeout after the question arrives; a question that
        # has not arrived by then is not coming.
        waits = [asyncio.create_task(player.done[position].wait()) for player in playing]
        await asyncio.wait(waits, timeout=30 + ANSWER_TIMEOUT)
        for task in waits:
            task.cancel()
        for player in playing:
            if position in player.shown:
                run.delivery_ms.append((player.shown[position] - t0) * 1000)
        revealed = await move("reveal", {"game": game, "position": position}, 300)
        if revealed is None:
            break
        run.reveal_ms.append(revealed)

    if finish and run.host_failed is None:
        ended = await move("next", {"game": game, "position": rounds}, 600)
        run.finish_s = ended / 1000 if ended is not None else None

    for player in players:
        for position in range(1, rounds + 1):
            answer = player.answers.get(position)
            if answer is None:
                reason = "not asked" if player in playing else "not connected"
                answer = Answer(False, None, f"question {reason}")
            if answer.ack_ms is not None:
                run.ack_ms.append(answer.ack_ms)
            if answer.ok:
                run.ok += 1
            else:
                run.lost += 1
                run.errors[answer.error or "?"] = run.errors.get(answer.error or "?", 0) + 1
        if player.dropped is not None:
            run.dropped[player.dropped] = run.dropped.get(player.dropped, 0) + 1
    await asyncio.gather(*(c.disconnect() for c in [host, *(p.client for p in playing)]))
    return run


# The scenario.


def sign_in_students(port: int, usernames: list[str], password: str) -> list[str]:
    """Every student signed in through the login form, a few at a time: their cookies."""
    with ThreadPoolExecutor(max_workers=SIGN_INS_AT_ONCE) as pool:
        return list(pool.map(lambda username: sign_in(port, username, password), usernames))


def demo_password(folder: Path, username: str) -> str:
    """``username``'s password from the demo's sign-ins (demo-logins.txt)."""
    for line in (folder / "demo-logins.txt").read_text().splitlines():
        words = line.split()
        if len(words) >= 3 and words[1] == username:
            return words[2]
    raise SystemExit(f"{username} is not among the demo sign-ins")


def forget_sessions(redis_url: str, cookies: list[str]) -> int:
    """Delete the run's own sessions from Redis (nothing else there): how many were there."""
    from redis import Redis

    store = Redis.from_url(redis_url)
    keys = [f"quest:session:{cookie.split('=', 1)[1]}" for cookie in cookies]
    removed = sum(store.delete(*keys[n : n + 500]) for n in range(0, len(keys), 500))
    store.close()
    return int(removed)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5 for p50, 0.99 for p99); nan if no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# A closed connection is counted (Run.dropped), not logged bot by bot.
logging.getLogger("engineio.client").setLevel(logging.CRITICAL)


def serve_and_play(
    app: str,
    *,
    env: dict[str, str],
    game: int,
    cookies: list[str | None],
    host_cookie: str | None,
    rounds: int,
    finish: bool,
) -> Run:
    """Serve ``app`` for one game's worth of bots, play it and read the worker's peak memory."""
    log = Path(env["QUEST_INSTANCE_DIR"]) / "gunicorn-games.log"
    threads = len(cookies) + SPARE_THREADS
    with threaded_gunicorn(app, env=env, threads=threads, log=log) as (port, worker):
        run = asyncio.run(play_game(port, game, cookies, host_cookie, rounds, finish=finish))
        # The last acknowledgements are in; the worker's answers are all committed.
        run.rss_mb = peak_rss_mb(worker)
    run.log = log.read_text()
    return run


def run_games(
    args: argparse.Namespace, *, env: dict[str, str], database: str, folder: Path
) -> None:
    """Set up the classroom and the games, then play each against the baseline and the
    platform; print the table and the goals."""
    players = sorted(set(args.players))
    # Every student signs in from loopback within a minute or two.
    env = env | {"LOGIN_RATE_LIMIT": "100000 per minute"}
    begun = time.monotonic()
    output = run_manage(
        "seed",
        *("--students", str(players[-1])),
        *("--class-size", str(players[-1])),
        *("--quests", "1"),
        env=env,
    )
    found = re.search(r"one-time password (\S+) \(shown once\)", output)
    if found is None:
        raise SystemExit(f"no password in the seed's output:\n{output}")
    facts = run_json(
        "bench.games", json.dumps({"players": players, "rounds": args.rounds}), env=env
    )
    print(
        f"seeded a classroom of {len(facts['students'])} students and {len(players)} games of "
        f"{args.rounds} questions in {time.monotonic() - begun:.0f} s"
    )

    begun = time.monotonic()
    with gunicorn(PLATFORM_APP, env=env, workers=2, up="/login") as port:
        host_cookie = sign_in(port, facts["teacher"], demo_password(folder, facts["teacher"]))
        cookies = sign_in_students(port, facts["students"][: players[-1]], found.group(1))
    print(
        f"signed {len(cookies)} students and the teacher in through the login form in "
        f"{time.monotonic() - begun:.0f} s (not counted below)"
    )

    results = []
    for count, game in zip(players, facts["games"], strict=True):
        base = serve_and_play(
            BASELINE_APP,
            env=env,
            game=game,
            cookies=[None] * count,
            host_cookie=None,
            rounds=args.rounds,
            finish=False,
        )
        base.recorded = scalar(
            database, "SELECT count(*) FROM bench_game_answer WHERE game = :game", game=game
        )
        platform = serve_and_play(
            PLATFORM_APP,
            env=env,
            game=game,
            cookies=cookies[:count],
            host_cookie=host_cookie,
            rounds=args.rounds,
            finish=True,
        )
        platform.recorded = scalar(
            database, "SELECT count(*) FROM game_answer WHERE game_id = :game", game=game
        )
        results.append((count, base, platform))
        print(f"  {count} players done", flush=True)

    if env.get("REDIS_URL"):
        print(
            f"removed {forget_sessions(env['REDIS_URL'], [host_cookie, *cookies])} of the run's "
            "sessions from Redis"
        )
    queue = "Redis message queue" if env.get("REDIS_URL") else "no message queue"
    print(
        f"\ndatabase: {database.split('@')[-1].split('?')[0]}; sessions: "
        f"{'Redis' if env.get('REDIS_URL') else 'files'}; {queue}; gunicorn --workers 1 "
        f"--worker-class gthread --threads <players + {SPARE_THREADS}>; {args.rounds} rounds; "
        f"bots: one asyncio process, python-socketio over WebSocket"
    )
    print(report(results, args.rounds))


def report(results: list[tuple[int, Run, Run]], rounds: int) -> str:
    """The table: each count's baseline, platform and ratio rows, then problems and goals."""
    header = (
        f"{'players':>7} {'server':<9}{'conn s':>7}{'dlv p50':>8}{'p99':>7}{'ack p50':>8}"
        f"{'p99':>7}{'lost':>6}{'ok acks':>8}{'in DB':>7}{'RSS MB':>8}{'reveal ms':>10}"
        f"{'end s':>7}"
    )
    lines = [header, "-" * len(header)]
    notes = []
    for count, base, platform in results:
        figures = {}
        for name, run in (("baseline", base), ("platform", platform)):
            row = (
                run.connect_s,
                percentile(run.delivery_ms, 0.5),
                percentile(run.delivery_ms, 0.99),
                percentile(run.ack_ms, 0.5),
                percentile(run.ack_ms, 0.99),
            )
            figures[name] = (*row, run.rss_mb, percentile(run.reveal_ms, 0.5))
            end = f"{run.finish_s:>7.1f}" if run.finish_s is not None else f"{'-':>7}"
            lines.append(
                f"{count:>7} {name:<9}{row[0]:>7.1f}{row[1]:>8.0f}{row[2]:>7.0f}{row[3]:>8.0f}"
                f"{row[4]:>7.0f}{run.lost:>6}{run.ok:>8}{run.recorded:>7}{run.rss_mb:>8.0f}"
                f"{figures[name][6]:>10.0f}{end}"
            )
            if run.host_failed:
                notes.append(f"{count} players, {name}: the host's move failed: {run.host_failed}")
            for reason, times in run.dropped.items():
                notes.append(f"{count} players, {name}: {times} bots' connections closed: {reason}")
            if run.refused:
                notes.append(
                    f"{count} players, {name}: {len(run.refused)} bots could not join, "
                    f"e.g. {run.refused[0]}"
                )
            for error, times in run.errors.items():
                notes.append(f"{count} players, {name}: {times} answers lost: {error}")
            if run.log.strip():
                found = tracebacks(run.log)
                # Its lines that are not part of a traceback, most frequent first.
                said = Counter(line[:160] for line in run.log.splitlines() if line[:1].strip())
                notes.append(
                    f"{count} players, {name}: the server printed {len(run.log.splitlines())} "
                    f"lines with {len(found)} tracebacks; its most frequent lines:\n"
                    + "\n".join(f"  {times} x {line}" for line, times in said.most_common(8))
                    + ("\nthe first traceback:\n" + found[0] if found else "")
                )
            if run.recorded != run.ok:
                notes.append(
                    f"{count} players, {name}: {run.recorded} answers in the database "
                    f"but {run.ok} acknowledged ok"
                )
        ratio = [
            p / b if b else float("nan")
            for p, b in zip(figures["platform"], figures["baseline"], strict=True)
        ]
        lines.append(
            f"{count:>7} {'ratio':<9}{ratio[0]:>7.1f}{ratio[1]:>8.1f}{ratio[2]:>7.1f}"
            f"{ratio[3]:>8.1f}{ratio[4]:>7.1f}{'':>6}{'':>8}{'':>7}{ratio[5]:>8.1f}"
            f"{ratio[6]:>10.1f}"
        )
    lines.append(
        "conn s: all bots connected and placed (play); dlv: question delivery (host's next -> "
        "the bot has it); ack: answer -> acknowledgement, both in ms over every bot and round; "
        "lost: refused, unacknowledged within 10 s, or never asked; in DB: answer rows counted; "
        "RSS: the gunicorn worker's peak; reveal: the host's reveal -> its ack (median round); "
        "end: the host's last next (the game ends, its answers recorded as attempts) -> its ack."
    )
    lines.extend(notes)
    for count, _base, platform in results:
        delivery = percentile(platform.delivery_ms, 0.99)
        ack = percentile(platform.ack_ms, 0.99)
        held = delivery <= DELIVERY_GOAL_MS and ack <= ACK_GOAL_MS and platform.lost == 0
        lines.append(
            f"goals at {count} players (p99 delivery <= {DELIVERY_GOAL_MS} ms, p99 ack <= "
            f"{ACK_GOAL_MS} ms, 0 lost): {'hold' if held else 'DO NOT hold'} "
            f"(p99 delivery {delivery:.0f} ms, p99 ack {ack:.0f} ms, {platform.lost} lost)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    options = json.loads(sys.argv[1])
    print(json.dumps(prepare(options["players"], options["rounds"])))
