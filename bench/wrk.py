"""Measuring one endpoint with wrk (Debian's `apt install wrk`) and bench/wrk.lua."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")

# Counts rows of the tables a run writes (bench/harness.py row_counts).
RowCounter = Callable[[], dict[str, int]]
# Seconds without a new row after which the requests of a run that writes are taken as served.
SETTLED = 3.0


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
    # Answers with the expected status, and requests sent (answered or not).
    ok: int = 0
    sent: int = 0
    # For a run that writes: the rows it added by the time wrk stopped, by table (None when not
    # counted), and once the requests still in flight then were served too.
    recorded: dict[str, int] | None = None
    settled: dict[str, int] | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def recorded_rps(self, table: str = "attempt") -> float:
        """Rows added to ``table`` per second of the run."""
        return (self.recorded or {}).get(table, 0) / self.seconds if self.seconds else 0.0

    def count_mismatch(self, table: str = "attempt", per_request: int = 1) -> str | None:
        """Why the rows recorded in ``table`` do not match the requests, or None when they do.

        Each request records ``per_request`` rows: once the server has served them all, the
        rows recorded are those of the requests sent, and at least those of the requests
        answered (a request still being written when wrk stops may never reach the server).
        """
        if self.settled is None:
            return None
        recorded = self.settled.get(table, 0)
        least, most = self.ok * per_request, self.sent * per_request
        if least <= recorded <= most:
            return None
        return (
            f"{self.name}: {recorded} rows recorded in {table} for {self.ok} answers of"
            f" {self.sent} requests sent (expected {least}–{most})"
        )


def settled(rows: RowCounter, attempts: int) -> dict[str, int]:
    """The row counts once the server has served the requests still in flight: when there are
    ``attempts`` attempts, or when the counts have not changed for SETTLED seconds."""
    counts, since = rows(), time.monotonic()
    while counts["attempt"] < attempts:
        time.sleep(0.2)
        again = rows()
        if again != counts:
            counts, since = again, time.monotonic()
        elif time.monotonic() - since >= SETTLED:
            break
    return counts


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
    session_per_thread: bool = False,
    rows: RowCounter | None = None,
    records: int = 1,
    during: AbstractContextManager[object] | None = None,
    warmup: float = 2.0,
) -> WrkResult:
    """Load ``path`` for ``seconds`` after a ``warmup`` that is not counted.

    With ``form``, every request POSTs it with a fresh submission key, using the (cookie, CSRF
    token) ``sessions`` in turn, or each wrk thread its own with ``session_per_thread``;
    otherwise every request GETs ``path`` with ``cookie``. With ``rows``, the rows of the
    written tables are counted before the measured run (once the warm-up's last requests are
    served), as it stops (``recorded``) and once its last requests are served (``settled``);
    each request records ``records`` attempts (an answer 1, the floor 0).
    ``during`` is entered for the measured run only (the lock sampler of bench/answers.py).
    """
    env = {**os.environ, "BENCH_PATH": path, "BENCH_EXPECT": str(expect)}
    if cookie:
        env["BENCH_COOKIE"] = cookie
    if form is not None:
        env["BENCH_FORM"] = form
        env["BENCH_SESSIONS"] = ";".join(f"{c} {t}" for c, t in sessions or [])
        env["BENCH_SESSION_PER_THREAD"] = "1" if session_per_thread else ""
        env["BENCH_THREADS"] = str(threads)
    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("the benchmarks need wrk: apt install wrk")

    def once(duration: float) -> dict[str, int]:
        # Every run its own submission keys: a key sent again records nothing.
        env["BENCH_RUN"] = secrets.token_hex(6)
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

    start = rows() if rows else None
    if warmup > 0:
        warm = once(warmup)
        if rows and start is not None:
            start = settled(rows, start["attempt"] + warm["sent"] * records)
    with during or nullcontext():
        figures = once(seconds)
    recorded = after = None
    if rows and start is not None:
        # Counted as wrk stops, the rows its measured requests recorded; the requests in flight
        # then (at most one per connection) record theirs after, without being counted.
        at_end = rows()
        done = settled(rows, start["attempt"] + figures["sent"] * records)
        recorded = {table: at_end[table] - start[table] for table in at_end}
        after = {table: done[table] - start[table] for table in done}
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
        ok=figures["requests"] - figures["unexpected"],
        sent=figures["sent"],
        recorded=recorded,
        settled=after,
    )


def refuse_errors(results: Iterable[WrkResult]) -> None:
    """Stop, with no figures, when any run had a socket error or an unexpected status."""
    failed = [f"  {result.name}: {result.errors}" for result in results if result.errors]
    if failed:
        raise SystemExit("errors during the run, no figures reported:\n" + "\n".join(failed))


def mismatch_banner(problems: list[str]) -> list[str]:
    """The lines that say, loudly, that the rows recorded do not match the answers sent."""
    if not problems:
        return []
    return [
        "",
        "!!! RECORDED ROWS DO NOT MATCH THE ANSWERS: THESE FIGURES ARE NOT TRUE !!!",
        *(f"!!! {problem}" for problem in problems),
    ]
