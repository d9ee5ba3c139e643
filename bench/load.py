"""A small closed-loop load generator: keep-alive connections on loopback, bounded in time."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """Throughput and latency of one measured endpoint."""

    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def measure(
    *,
    name: str,
    port: int,
    path: str,
    headers: Mapping[str, str] | None = None,
    connections: int = 4,
    seconds: float = 10.0,
    warmup: float = 2.0,
) -> Result:
    """Send GET ``path`` from ``connections`` threads for ``seconds`` and collect latencies."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_warmup = time.perf_counter() + warmup
    stop = stop_warmup + seconds

    def worker() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        failed = 0
        while (now := time.perf_counter()) < stop:
            try:
                connection.request("GET", path, headers=dict(headers or {}))
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                ok = False
            elapsed = (time.perf_counter() - now) * 1000
            if now >= stop_warmup:
                if ok:
                    mine.append(elapsed)
                else:
                    failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, len(latencies), errors, seconds, tuple(latencies))
