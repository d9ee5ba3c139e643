"""Run the benchmarks: `make bench` (or `python -m bench`), figures as ratios to the baseline.

Both servers run under gunicorn on loopback with the same worker settings, against one
database seeded with the demo (SQLite in a temporary folder, or BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

from bench.load import Result, measure

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, path: str, timeout: float = 30.0) -> None:
    """Wait until the server on ``port`` answers ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


@contextmanager
def gunicorn(app: str, *, port: int, env: dict[str, str], workers: int) -> Iterator[None]:
    """Serve ``app`` with gunicorn on loopback for the duration of the block."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form and return the session cookie header."""
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
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
        raise SystemExit(f"sign-in failed with {response.status}")
    return response.getheader("Set-Cookie", cookie).split(";")[0]


def report(results: list[Result], baseline: Result) -> str:
    """Format the results as a table with ratios to the baseline."""
    lines = [
        f"{'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'rps ratio':>11}{'p50 ratio':>11}{'p99 ratio':>11}{'errors':>8}"
    ]
    for result in [baseline, *results]:
        lines.append(
            f"{result.name:<34}{result.rps:>9.0f}{result.p50:>9.1f}{result.p99:>9.1f}"
            f"{baseline.rps / result.rps if result.rps else float('inf'):>10.2f}×"
            f"{result.p50 / baseline.p50:>10.2f}×{result.p99 / baseline.p99:>10.2f}×"
            f"{result.errors:>8}"
        )
    lines.append(
        "rps ratio = baseline req/s ÷ endpoint req/s; latency ratios = endpoint ÷ baseline."
    )
    return "\n".join(lines)


def main() -> None:
    """Seed a bench database, serve both apps, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="quest-bench-") as folder:
        database = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        env = {
            **os.environ,
            "QUEST_ENV": "production",
            "QUEST_INSTANCE_DIR": folder,
            "DATABASE_URL": database,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "SECURITY_PASSWORD_SALT": secrets.token_urlsafe(48),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        subprocess.run(
            [*manage, "seed", "--demo", "--force"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        logins = (Path(folder) / "demo-logins.txt").read_text().splitlines()
        student = next(line.split() for line in logins if line.startswith("student"))

        baseline_port, platform_port = free_port(), free_port()
        with (
            gunicorn("bench.baseline:app", port=baseline_port, env=env, workers=args.workers),
            gunicorn(
                "quest_platform:create_app()", port=platform_port, env=env, workers=args.workers
            ),
        ):
            wait_until_up(baseline_port, "/user/1")
            wait_until_up(platform_port, "/")
            cookie = sign_in(platform_port, student[1], student[2])
            options = {"seconds": args.seconds, "connections": args.connections}
            baseline = measure(
                name="baseline: bare Flask, PK select",
                port=baseline_port,
                path="/user/1",
                **options,
            )
            results = [
                measure(name="home page (anonymous)", port=platform_port, path="/", **options),
                measure(
                    name="sign-in page (anonymous)", port=platform_port, path="/login", **options
                ),
                measure(
                    name="profile (signed-in student)",
                    port=platform_port,
                    path="/accounts/profile",
                    headers={"Cookie": cookie},
                    **options,
                ),
            ]
    print(
        f"database: {database.split('@')[-1]}; gunicorn --workers {args.workers}; "
        f"{args.connections} connections × {args.seconds:.0f} s after a 2 s warm-up"
    )
    print(report(results, baseline))


if __name__ == "__main__":
    main()
