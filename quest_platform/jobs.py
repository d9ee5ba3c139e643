"""Background jobs, such as grading code, kept off the web workers.

With ``REDIS_URL`` set, jobs go to an RQ queue in Redis, and graders (``python manage.py
grader``, an RQ worker each) take them, on this machine or any other that reaches Redis and the
database: add graders to grade more at once. Without Redis, a small pool of threads in the web
process runs them (each thread only waits on its sandbox process). With ``JOBS_INLINE`` (the
tests) a job runs at once, in the caller.

A job names its function as ``"module:function"`` and takes keyword arguments that are plain
values, so that any grader can run it.

A job that may fail for a while (a call to another service) is given ``retry_delays``: when it
raises, it is tried again after each delay in turn. RQ schedules those tries (graders run its
scheduler); the web process's pool sets a timer, so no thread waits; inline, the caller sleeps.
"""

from __future__ import annotations

import importlib
import logging
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue, Retry

from quest_platform.config import REDIS_TIMEOUT_SECONDS

# The one queue: jobs are short, and all of them are someone's page waiting.
QUEUE_NAME = "quest-jobs"
# A job that takes longer than this is stopped by its grader (a sandbox ends well before).
JOB_TIMEOUT_SECONDS = 120
# Jobs at once in the web process when there is no Redis.
LOCAL_WORKERS = 2


logger = logging.getLogger(__name__)


def enqueue_job(target: str, *, retry_delays: Sequence[float] = (), **kwargs: Any) -> None:
    """Run the function named ``target`` ("module:function") with ``kwargs`` in the background.

    If it raises, it is tried again after each of ``retry_delays`` (seconds) in turn.
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    delays = tuple(retry_delays)
    if app.config.get("JOBS_INLINE"):
        run_inline_job(target, kwargs, app=app, retry_delays=delays)
    elif app.config.get("REDIS_URL"):
        # RQ counts whole seconds; a delay other than 0 waits in RQ's scheduler.
        retry = Retry(max=len(delays), interval=[math.ceil(d) for d in delays]) if delays else None
        job_queue(app.config["REDIS_URL"]).enqueue(
            run_job, target, kwargs, job_timeout=JOB_TIMEOUT_SECONDS, retry=retry
        )
    else:
        local_pool().submit(run_pooled_job, target, kwargs, app=app, retry_delays=delays)


def run_job(target: str, kwargs: dict[str, Any], *, app: Flask | None = None) -> None:
    """Run one job in an application context (a grader's own app when ``app`` is not given)."""
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    with (app or grader_app()).app_context():
        function(**kwargs)


def run_inline_job(
    target: str, kwargs: dict[str, Any], *, app: Flask, retry_delays: tuple[float, ...]
) -> None:
    """Run a job in the caller, trying it again after each delay while it raises."""
    for delay in retry_delays:
        try:
            run_job(target, kwargs, app=app)
        except Exception as error:
            logger.warning("Job %s failed (%s); trying again in %s s.", target, error, delay)
            time.sleep(delay)
        else:
            return
    run_job(target, kwargs, app=app)


def run_pooled_job(
    target: str, kwargs: dict[str, Any], *, app: Flask, retry_delays: tuple[float, ...]
) -> None:
    """Run a job in the pool; if it raises and may be tried again, submit it again later.

    A timer waits out the delay, not a pool thread: the pool's few threads also grade code.
    """
    try:
        run_job(target, kwargs, app=app)
    except Exception as error:
        if not retry_delays:
            raise
        delay, later = retry_delays[0], retry_delays[1:]
        logger.warning("Job %s failed (%s); trying again in %s s.", target, error, delay)
        timer = threading.Timer(
            delay,
            local_pool().submit,
            args=(run_pooled_job, target, kwargs),
            kwargs={"app": app, "retry_delays": later},
        )
        # A timer waiting for a retry does not keep a stopping web process alive.
        timer.daemon = True
        timer.start()


@cache
def job_queue(redis_url: str) -> Queue:
    """The RQ queue in the Redis at ``redis_url``."""
    connection = redis.Redis.from_url(redis_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
    return Queue(QUEUE_NAME, connection=connection)


@cache
def local_pool() -> ThreadPoolExecutor:
    """The web process's own pool, for a machine without Redis."""
    return ThreadPoolExecutor(max_workers=LOCAL_WORKERS, thread_name_prefix="quest-job")


@cache
def grader_app() -> Flask:
    """The app of a grader process, made once, from the same settings as the web app."""
    # Imported here: the package imports this module, and only a grader makes its own app.
    from quest_platform import create_app

    return create_app()
