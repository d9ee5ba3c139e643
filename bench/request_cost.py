"""Where a signed-in request spends its time, in process.

Run with the bench database in DATABASE_URL after bench/prepare.py (``python -m bench costs``
does both): ``python -m bench.request_cost '<facts JSON>'``. The platform (with the floor's
route, bench/floor.py) answers the Flask test client; a student signs in through the login
form. Every part of the request that an extension or the platform adds is wrapped in a timer:
the session's load and save, the before- and after-request functions (CSRF, Flask-Limiter,
Flask-Principal's identity, the security headers), Flask-Login's user loading (Flask-Security's
loader), Flask-Security's session check, Flask-Babel's locale and translations, the template
context processors, the CSRF token of the page's forms, url_for, template rendering, the JSON
encoding and the view's own Python. The timers are exclusive (a
part's time leaves out the parts it calls) and every SQL statement is timed apart, counted
under the part that ran it. What no timer covers is Flask's and Werkzeug's dispatch and the
test client. The bare Flask baseline (bench/baseline.py, one primary-key select) is measured
the same way, for scale; the floors (bench/floor.py) show what any signed-in GET or POST costs
before its own work.

The timers cost about a microsecond a call: the parts called often (url_for, translations)
read a little high.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import secrets
import time
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import flask.templating
import flask_babel
import flask_security.decorators
import flask_wtf.csrf
from flask import Flask
from sqlalchemy import event

from bench.baseline import app as baseline_app
from bench.baseline import engine as baseline_engine
from bench.floor import FLOOR_PATH, create_floor_app
from bench.harness import csrf_token, quiz_path
from quest_platform.extensions import db

# What a before/after-request or teardown function is, by where it comes from.
HOOK_LABELS = {
    "csrf_protect": "CSRF check (before_request)",
    "_check_request_limit": "Flask-Limiter before_request",
    "__inject_headers": "Flask-Limiter after_request (headers)",
    "__release_context": "Flask-Limiter teardown",
    "_on_before_request": "Flask-Principal identity",
    "require_new_password": "one-time password check",
    "authenticate_api_call": "API token check",
    "refuse_nul_characters": "NUL character check",
    "_update_remember_cookie": "Flask-Login remember cookie",
    "cors_after_request": "Flask-CORS after_request",
    "add_security_headers": "security headers",
    "_add_cache_control": "Flask-Security cache control",
    "_teardown_session": "SQLAlchemy session teardown",
}
REQUESTS = 200
WARMUP = 20
# The parts that wait on the database start with this.
DATABASE = "db: "


class Timers:
    """Exclusive time per part of a request, and the SQL statements each part runs.

    Each part gets its wall time and the CPU time of this thread: the CPU time is what the
    part costs the server, untouched by other processes taking the CPU meanwhile (the machine
    is shared); the wall time of the database parts is the round trip and the database's work.
    """

    def __init__(self) -> None:
        self.stack: list[list[Any]] = []
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def enter(self, label: str) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        if self.stack:
            parent = self.stack[-1]
            self.wall[parent[0]] += wall - parent[1]
            self.cpu[parent[0]] += cpu - parent[2]
        self.stack.append([label, wall, cpu])
        self.calls[label] += 1

    def leave(self) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        label, wall_started, cpu_started = self.stack.pop()
        self.wall[label] += wall - wall_started
        self.cpu[label] += cpu - cpu_started
        if self.stack:
            self.stack[-1][1] = wall
            self.stack[-1][2] = cpu

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, its time counted under ``label``."""

        @wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(label)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return timed

    def sql_started(self, *args: Any) -> None:
        parent = self.stack[-1][0] if self.stack else "outside the request"
        self.enter(f"{DATABASE}SQL in {parent}")

    def sql_done(self, *args: Any) -> None:
        self.leave()

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()
        self.calls.clear()


def hook_label(function: Callable[..., Any]) -> str:
    """The label of a before/after-request or teardown function."""
    name = getattr(function, "__qualname__", None) or getattr(
        getattr(function, "func", None), "__qualname__", repr(function)
    )
    module = getattr(function, "__module__", "") or ""
    for key, label in HOOK_LABELS.items():
        if key in name or key in module:
            return label
    return f"{module}.{name}"


def instrument(app: Flask, timers: Timers) -> None:
    """Wrap every part of the request that the extensions and the platform add in a timer."""
    for hooks in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    ):
        for key, functions in hooks.items():
            hooks[key] = [timers.wrap(hook_label(f), f) for f in functions]
    app.teardown_appcontext_funcs = [
        timers.wrap(hook_label(f), f) for f in app.teardown_appcontext_funcs
    ]
    for key, functions in app.template_context_processors.items():
        app.template_context_processors[key] = [
            timers.wrap("template context processors", f) for f in functions
        ]
    interface = app.session_interface
    interface.open_session = timers.wrap("session load", interface.open_session)  # type: ignore[method-assign]
    interface.save_session = timers.wrap("session save", interface.save_session)  # type: ignore[method-assign]
    manager = app.login_manager  # type: ignore[attr-defined]
    manager._load_user = timers.wrap("Flask-Login user load (Flask-Security)", manager._load_user)
    babel = app.extensions["babel"]
    babel.locale_selector = timers.wrap("Flask-Babel locale", babel.locale_selector)
    flask_babel.get_translations = timers.wrap(
        "Flask-Babel translations", flask_babel.get_translations
    )
    for name in ("gettext", "ngettext"):
        method = getattr(flask_babel.Domain, name)
        setattr(flask_babel.Domain, name, timers.wrap("Flask-Babel translations", method))
    flask_security.decorators._check_session = timers.wrap(
        "Flask-Security auth_required", flask_security.decorators._check_session
    )
    flask_wtf.csrf.generate_csrf = timers.wrap(
        "CSRF token for the page's forms", flask_wtf.csrf.generate_csrf
    )
    flask.templating._render = timers.wrap("template rendering", flask.templating._render)
    app.url_for = timers.wrap("url_for", app.url_for)  # type: ignore[method-assign]
    app.json.response = timers.wrap("JSON encoding", app.json.response)  # type: ignore[method-assign]
    for endpoint, view in app.view_functions.items():
        app.view_functions[endpoint] = timers.wrap("view: its own Python", view)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", timers.sql_started)
    event.listen(engine, "after_cursor_execute", timers.sql_done)
    dialect = engine.dialect
    # Round trips that are no statement of the page's: the pool's check of a connection it
    # hands out (pool_pre_ping), and the rollback or commit that ends the transaction.
    dialect.do_ping = timers.wrap(f"{DATABASE}pool pre-ping", dialect.do_ping)  # type: ignore[method-assign]
    dialect.do_rollback = timers.wrap(f"{DATABASE}rollback", dialect.do_rollback)  # type: ignore[method-assign]
    dialect.do_commit = timers.wrap(f"{DATABASE}commit", dialect.do_commit)  # type: ignore[method-assign]


def signed_in_client(app: Flask, username: str, password: str) -> Any:
    """A test client signed in through the login form, over HTTPS as production's secure
    cookie and CSRF referrer check want."""
    client = app.test_client()
    client.environ_base |= {"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/"}
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": username, "password": password, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in failed with {response.status_code}")
    return client


@dataclass(frozen=True)
class Column:
    """One kind of request: ms per request in all, and per part (wall and CPU), and calls."""

    name: str
    wall: float
    cpu: float
    parts_wall: dict[str, float]
    parts_cpu: dict[str, float]
    calls: Counter[str]


def measure(timers: Timers, name: str, send: Callable[[], Any], expect: int) -> Column:
    """Milliseconds per request in all, and per part, over REQUESTS requests after a warm-up."""
    for _ in range(WARMUP):
        send()
    timers.reset()
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(REQUESTS):
        timers.enter("Flask, Werkzeug and the test client (untimed rest)")
        try:
            response = send()
        finally:
            timers.leave()
        if response.status_code != expect:
            raise SystemExit(f"{name} answered {response.status_code}, not {expect}")
    return Column(
        name,
        (time.perf_counter() - wall) * 1000 / REQUESTS,
        (time.thread_time() - cpu) * 1000 / REQUESTS,
        {label: seconds * 1000 / REQUESTS for label, seconds in timers.wall.items()},
        {label: seconds * 1000 / REQUESTS for label, seconds in timers.cpu.items()},
        Counter(timers.calls),
    )


def report(columns: list[Column]) -> str:
    """One row per part, one column per request: CPU ms per request, or for the database's
    parts the wall ms (and the calls per request, when more than one)."""
    weight: dict[str, float] = defaultdict(float)
    for column in columns:
        for label in column.calls:
            weight[label] += (
                column.parts_wall[label] if label.startswith(DATABASE) else column.parts_cpu[label]
            )
    width = 54
    lines = [f"{'ms per request':<{width}}" + "".join(f"{c.name:>13}" for c in columns)]
    lines.append(f"{'in all, wall':<{width}}" + "".join(f"{c.wall:>13.2f}" for c in columns))
    lines.append(f"{'in all, CPU':<{width}}" + "".join(f"{c.cpu:>13.2f}" for c in columns))
    for label in sorted(weight, key=lambda label: -weight[label]):
        cells = []
        for column in columns:
            count = column.calls.get(label, 0) / REQUESTS
            parts = column.parts_wall if label.startswith(DATABASE) else column.parts_cpu
            ms = parts.get(label, 0.0)
            shown = "-" if not count else f"{ms:.2f}"
            if count >= 1.5 or (count and label.startswith(f"{DATABASE}SQL")):
                shown = f"{count:.0f}× {ms:.2f}"
            cells.append(f"{shown:>13}")
        lines.append(f"{label[:width]:<{width}}" + "".join(cells))
    lines.append(
        "CPU: this thread's CPU time; db: lines: wall time (the round trip and the database's"
        " work), with the statements per request; timers are exclusive."
    )
    return "\n".join(lines)


def profile(send: Callable[[], Any], expect: int) -> None:
    """The functions one kind of request spends its CPU time in, by cProfile."""
    for _ in range(WARMUP):
        send()
    # CPU time: what the request costs the server, without the waits on the database.
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(REQUESTS):
        if send().status_code != expect:
            raise SystemExit("unexpected status")
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: Counter[str] = Counter()
    for (filename, _line, _function), (_calls, _primitive, tottime, *_rest) in (
        stats.stats.items()  # type: ignore[attr-defined]
    ):
        by_package[package_of(filename)] += tottime
    total = sum(by_package.values())
    print(
        f"CPU by package, ms per request (under the profiler, about {total / REQUESTS * 1000:.1f}):"
    )
    for package, seconds in by_package.most_common(20):
        print(f"  {package:<30}{seconds / REQUESTS * 1000:>8.2f}{seconds / total:>8.0%}")
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(60)


def package_of(filename: str) -> str:
    """The package a profiled function belongs to: a site package, the platform, or Python."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    for own in ("quest_platform", "admin_views", "bench"):
        if f"/{own}/" in filename:
            return own
    return "Python itself" if filename.startswith(("/", "<frozen")) else filename


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("facts", help="the JSON that bench/prepare.py printed (with password)")
    parser.add_argument(
        "--config",
        metavar="NAME=JSON",
        action="append",
        default=[],
        help="a setting to try, e.g. SQLALCHEMY_ENGINE_OPTIONS='{\"pool_pre_ping\": false}'",
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--only", metavar="NAMES", help='some kinds of request, e.g. "floor GET,floor POST"'
    )
    choice.add_argument(
        "--profile",
        metavar="REQUEST",
        help="instead, profile one kind of request (as the table names it) with cProfile",
    )
    args = parser.parse_args()
    facts = json.loads(args.facts)
    overrides: dict[str, Any] = {}
    for setting in args.config:
        name, _, value = setting.partition("=")
        try:
            overrides[name] = json.loads(value)
        except ValueError:
            parser.error(f"--config {setting}: not NAME=JSON")
    app = create_floor_app(**overrides)
    timers = Timers()
    student = next(s for s in facts["students"] if s["quiz"] is not None)
    client = signed_in_client(app, student["username"], facts["password"])
    stage_path = quiz_path(student["quiz"])
    quiz = facts["quizzes"][-1]
    token = csrf_token(client.get(quiz_path(quiz)).get_data(as_text=True))
    board = f"/leaderboards/classrooms/{facts['classroom']}"
    answers = [urllib.parse.parse_qs(answer) for answer in quiz["answers"]]
    sent = Counter[str]()
    run = secrets.token_hex(4)

    def answer() -> Any:
        sent["answer"] += 1
        form = answers[sent["answer"] % 2] | {
            "csrf_token": token,
            "submission_key": f"{run}-{sent['answer']}",
        }
        return client.post(quiz_path(quiz), data=form)

    requests: list[tuple[str, Callable[[], Any], int]] = [
        ("floor GET", lambda: client.get(FLOOR_PATH), 200),
        ("floor POST", lambda: client.post(FLOOR_PATH, data={"csrf_token": token}), 302),
        ("board JSON", lambda: client.get(f"{board}.json"), 200),
        ("board page", lambda: client.get(board), 200),
        ("quest map", lambda: client.get("/quests"), 200),
        ("stage page", lambda: client.get(stage_path), 200),
        ("quiz answer", answer, 302),
    ]
    names = [name for name, _send, _expect in requests]
    chosen = args.only.split(",") if args.only else [args.profile] if args.profile else names
    if unknown := [name for name in chosen if name not in names]:
        parser.error(f"no request named {', '.join(unknown)}; the requests: {', '.join(names)}")
    requests = [request for request in requests if request[0] in chosen]
    if args.profile:
        profile(*requests[0][1:])
        return
    instrument(app, timers)
    columns = [measure(timers, name, send, expect) for name, send, expect in requests]

    baseline_timers = Timers()
    baseline_client = baseline_app.test_client()
    event.listen(baseline_engine, "before_cursor_execute", baseline_timers.sql_started)
    event.listen(baseline_engine, "after_cursor_execute", baseline_timers.sql_done)
    baseline_app.view_functions["user"] = baseline_timers.wrap(
        "view: its own Python", baseline_app.view_functions["user"]
    )
    columns.append(
        measure(baseline_timers, "bare Flask", lambda: baseline_client.get("/user/1"), 200)
    )
    print(
        f"student {student['username']}; {REQUESTS} requests of each after {WARMUP}; sessions in"
        f" {'Redis' if app.config.get('REDIS_URL') else 'files'};"
        f" settings tried: {', '.join(args.config) or 'none'}"
    )
    print(report(columns))


if __name__ == "__main__":
    main()
