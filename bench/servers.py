"""Serving and signing in for the benchmarks: gunicorn on loopback, the login form, the seed."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from quest_platform.config import Config

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(
    port: int, path: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 300.0
) -> None:
    """Wait until the server on ``port`` answers ``path`` (refused if its ``process`` ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server on port {port} stopped with {process.returncode}")
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


@contextmanager
def gunicorn(app: str, *, env: dict[str, str], workers: int, up: str = "/") -> Iterator[int]:
    """Serve ``app`` with gunicorn (sync workers) on loopback for the block; yield its port."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *("--workers", str(workers)),
            *("--bind", f"127.0.0.1:{port}"),
            *("--log-level", "warning"),
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(port, up, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def has_page_cache() -> bool:
    """Whether the platform still has its page cache setting (PAGE_CACHE)."""
    return hasattr(Config, "PAGE_CACHE")


def platform_apps(factory: str = "quest_platform:create_app") -> dict[str, str]:
    """The gunicorn app of each setting of the page cache to measure: off and on while the
    setting exists; the platform as it is otherwise (the label is then empty)."""
    if not has_page_cache():
        return {"": f"{factory}()"}
    return {
        "off": f"{factory}(PAGE_CACHE=False)",
        "on": f"{factory}(PAGE_CACHE=True)",
    }


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form and return the session cookie header."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())
    if token is None:
        raise SystemExit("no CSRF token on /login")
    body = urllib.parse.urlencode(
        {"email": username, "password": password, "csrf_token": token.group(1)}
    )
    connection.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = connection.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"sign-in of {username} failed with {response.status}")
    return response.getheader("Set-Cookie", cookie).split(";")[0]


def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    """GET ``path`` with a session cookie: the status and the page."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    return response.status, response.read().decode()


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on ``page``."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page
    )
    if found is None:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def run_manage(*arguments: str, env: dict[str, str]) -> str:
    """Run a manage.py command for the bench database, failing loudly if it fails; its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout


def demo_logins(folder: Path) -> dict[str, list[str]]:
    """The first demo sign-in of each role (role, username, password) from demo-logins.txt."""
    logins = [line.split() for line in (folder / "demo-logins.txt").read_text().splitlines()]
    return {
        role: next(line for line in logins if line and line[0] == role)
        for role in ("admin", "teacher", "student")
    }


def seed_classroom(
    env: dict[str, str], *, students: int, quests: int, quizzes: int
) -> dict[str, Any]:
    """Add a classroom of ``students`` with ``quests`` quests' worth of attempts, then give it
    ``quizzes`` unlimited quizzes (bench/prepare.py); return the facts prepare prints, with
    the classroom's one-time password."""
    output = run_manage(
        "seed",
        *("--students", str(students)),
        *("--class-size", str(students)),
        *("--quests", str(quests)),
        env=env,
    )
    password = re.search(r"one-time password (\S+) \(shown once\)", output)
    if password is None:
        raise SystemExit(f"no password in the seed's output:\n{output}")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.prepare", str(quizzes)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(f"bench.prepare failed:\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1]) | {"password": password.group(1)}
