"""Prometheus metrics at /metrics: requests by route, answers recorded, the grader queue.

The page is for a monitoring server, not for people: it answers only a request that carries
``Authorization: Bearer <METRICS_TOKEN>`` or comes straight from an address in
``METRICS_ALLOWED_IPS``; anyone else gets the site's usual 404, as for a page that does not
exist. It touches neither the session nor the database, so it answers while they are down.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several gunicorn workers), each worker writes its counts
to files in that folder and the page adds up every worker's; see docs/observability.md.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Iterator
from functools import cache
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any, cast

import redis
from flask import Blueprint, Flask, abort, current_app, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from rq import Queue
from werkzeug.wrappers import Response

from quest_platform.config import ConfigurationError
from quest_platform.jobs import QUEUE_NAME
from quest_platform.models.quests import StageKind

METRICS_PATH = "/metrics"
DEFAULT_ALLOWED_IPS = "127.0.0.1,::1"
# A request that names a forwarder came through a proxy: its address is the proxy's (often
# 127.0.0.1 on the same machine), not its sender's, so the allow-list cannot vouch for it.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
# A scrape waits this long for Redis at most; the queue's depth is left out if it does not answer.
QUEUE_TIMEOUT_SECONDS = 0.5
# The library decides once, as it is imported, whether counts go to files: so does this module.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Methods counted by name; any other (a client may send any word) is counted as "other".
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# A *_created series beside every counter and histogram would double the series scraped, to tell
# a start time that process_start_time_seconds already tells. (The library leaves the function
# unannotated.)
cast(Any, disable_created_metrics)()

REQUESTS = Counter(
    "quest_http_requests",
    "Requests answered, by method, route (the URL rule, - when none matched) and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "quest_http_request_duration_seconds",
    "Time from a request's first byte to the end of its response, in seconds.",
    ["method", "route", "status"],
)
ANSWERS = Counter(
    "quest_answers_recorded",
    "Answers recorded (attempts stored), by the kind of stage answered.",
    ["kind"],
)
QUEUE_DEPTH = "quest_grader_queue_depth"
for known_kind in StageKind:
    # Every kind is listed from the start at 0, so a rate shows the first answer too.
    ANSWERS.labels(kind=known_kind.value)

bp = Blueprint("observability", __name__)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its time."""
    labels = {
        "method": method if method in KNOWN_METHODS else "other",
        "route": route,
        "status": str(status),
    }
    REQUESTS.labels(**labels).inc()
    REQUEST_SECONDS.labels(**labels).observe(seconds)


def count_answer(kind: str) -> None:
    """Count one recorded answer to a stage of ``kind`` (a StageKind)."""
    known = {member.value for member in StageKind}
    ANSWERS.labels(kind=str(kind) if str(kind) in known else "other").inc()


@bp.before_app_request
def refuse_unless_allowed() -> None:
    """Answer /metrics, whatever the method, as a missing page unless the caller may scrape."""
    if request.path == METRICS_PATH and not may_scrape():
        abort(404)


@bp.get(METRICS_PATH)
def metrics() -> Response:
    """Every metric of the platform in Prometheus's text format (or OpenMetrics, if asked)."""
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    registry = scrape_registry(current_app.config.get("REDIS_URL"))
    response = Response(encode(registry), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def may_scrape() -> bool:
    """Whether this request carries the metrics token or comes from an allowed address."""
    token = metrics_token(current_app)
    scheme, _space, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(offered.strip().encode(), token.encode())
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    return is_allowed_address(request.remote_addr, allowed_networks(allowed_ips(current_app)))


def metrics_token(app: Flask) -> str:
    """The token that opens /metrics from anywhere ("" when none is set)."""
    token = app.config.get("METRICS_TOKEN")
    return str(token if token is not None else os.environ.get("METRICS_TOKEN", ""))


def allowed_ips(app: Flask) -> str:
    """The addresses and networks that may scrape without a token, comma-separated."""
    listed = app.config.get("METRICS_ALLOWED_IPS")
    if listed is None:
        listed = os.environ.get("METRICS_ALLOWED_IPS", DEFAULT_ALLOWED_IPS)
    return ",".join(listed) if isinstance(listed, list | tuple) else str(listed)


@cache
def allowed_networks(listed: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """The networks of a comma-separated list of addresses and CIDRs (an address is a /32)."""
    networks = []
    for entry in (part.strip() for part in listed.split(",")):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"METRICS_ALLOWED_IPS: {entry!r} is not an address or network, such as "
                "127.0.0.1 or 10.0.0.0/8."
            ) from None
    return tuple(networks)


def is_allowed_address(address: str | None, networks: Iterable[IPv4Network | IPv6Network]) -> bool:
    """Whether ``address`` is in one of ``networks``."""
    try:
        parsed = ip_address(address or "")
    except ValueError:
        return False
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        # ::ffff:127.0.0.1, as a server listening on IPv6 names an IPv4 sender.
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in networks)


def check_metrics_settings(app: Flask) -> None:
    """Refuse to start with an allow-list entry that is not an address or network."""
    allowed_networks(allowed_ips(app))


class Registered(Collector):
    """The metrics of a registry, as one collector of another."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


class GraderQueue(Collector):
    """The depth of the grader queue, read when scraped: 0 without Redis (jobs then run in
    the web process), left out while Redis does not answer."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url

    def collect(self) -> Iterator[Metric]:
        depth = queue_depth(self.redis_url)
        if depth is not None:
            yield GaugeMetricFamily(
                QUEUE_DEPTH, "Jobs (code to grade) waiting in the queue for a grader.", value=depth
            )


def queue_depth(redis_url: str | None) -> int | None:
    """Jobs waiting in the queue at ``redis_url``; 0 without one, None if it does not answer."""
    if not redis_url:
        return 0
    try:
        return scrape_queue(redis_url).count
    except redis.RedisError:
        return None


@cache
def scrape_queue(redis_url: str) -> Queue:
    """The grader queue, through a connection that gives up quickly."""
    connection = redis.Redis.from_url(
        redis_url,
        socket_connect_timeout=QUEUE_TIMEOUT_SECONDS,
        socket_timeout=QUEUE_TIMEOUT_SECONDS,
    )
    return Queue(QUEUE_NAME, connection=connection)


def scrape_registry(redis_url: str | None) -> CollectorRegistry:
    """What one scrape reports: this process's metrics, or every worker's in multiprocess
    mode, and the grader queue's depth."""
    registry = CollectorRegistry()
    if MULTIPROCESS:
        # The library leaves this constructor unannotated; it registers itself in ``registry``.
        cast(Any, MultiProcessCollector)(registry)
    else:
        registry.register(Registered(REGISTRY))
    registry.register(GraderQueue(redis_url))
    return registry
