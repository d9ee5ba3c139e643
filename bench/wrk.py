"""Measuring one endpoint with wrk (Debian's `apt install wrk`) and bench/wrk.lua."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")


@dataclass(frozen=True)
class WrkResult:
    """Throughput and latency of one endpoint as wrk measured them."""

    name: str
    requests: int
    seconds: float
    p50: float  # milliseconds
    p95: float
    p99: float
    # Socket errors and answers with an unexpected status, by kind (empty when none).
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_binary() -> str:
    """The wrk executable, or a plain refusal that says how to install it."""
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("the portal and analytics benchmarks need wrk: apt install wrk")
    return found


def run_wrk(
    *,
    name: str,
    port: int,
    path: str,
    seconds: float,
    connections: int,
    threads: int,
    expect: int = 200,
    cookie: str | None = None,
    form: str | None = None,
    sessions: list[tuple[str, str]] | None = None,
    warmup: float = 2.0,
) -> WrkResult:
    """Load ``path`` for ``seconds`` after a ``warmup`` that is not counted.

    With ``form``, every request POSTs it with a fresh submission key, using the (cookie, CSRF
    token) ``sessions`` in turn; otherwise every request GETs ``path`` with ``cookie``.
    """
    env = {
        **os.environ,
        "BENCH_PATH": path,
        "BENCH_EXPECT": str(expect),
        "BENCH_RUN": secrets.token_hex(6),
    }
    if cookie:
        env["BENCH_COOKIE"] = cookie
    if form is not None:
        env["BENCH_FORM"] = form
        env["BENCH_SESSIONS"] = ";".join(f"{c} {t}" for c, t in sessions or [])
    binary = wrk_binary()

    def once(duration: float) -> dict[str, int]:
        completed = subprocess.run(
            [
                binary,
                f"--threads={threads}",
                f"--connections={connections}",
                f"--duration={max(1, round(duration))}s",
                "--timeout=10s",
                f"--script={SCRIPT}",
                f"http://127.0.0.1:{port}{path}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH ")), None)
        if completed.returncode != 0 or line is None:
            raise SystemExit(f"wrk failed on {path}:\n{completed.stdout}\n{completed.stderr}")
        return json.loads(line.removeprefix("BENCH "))

    if warmup > 0:
        once(warmup)
    figures = once(seconds)
    errors = {
        kind: figures[kind]
        for kind in ("connect", "read", "write", "timeout", "unexpected")
        if figures[kind]
    }
    errors |= {f"status {status}": count for status, count in figures["statuses"].items()}
    return WrkResult(
        name=name,
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50=figures["p50_us"] / 1000,
        p95=figures["p95_us"] / 1000,
        p99=figures["p99_us"] / 1000,
        errors=errors,
    )
