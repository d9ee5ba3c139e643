"""Background jobs, such as grading code, kept off the web workers.

With ``REDIS_URL`` set, jobs go to an RQ queue in Redis, and graders (``python manage.py
grader``, an RQ worker each) take them, on this machine or any other that reaches Redis and the
database: add graders to grade more at once. Without Redis, a small pool of threads in the web
process runs them (each thread only waits on its sandbox process). With ``JOBS_INLINE`` (the
tests) a job runs at once, in the caller.

A job names its function as ``"module:function"`` and takes keyword arguments that are plain
values, so that any grader can run it.
"""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import redis
from flask import Flask, current_app
from rq import Queue

# The one queue: jobs are short, and all of them are someone's page waiting.
QUEUE_NAME = "quest-jobs"
# A job that takes longer than this is stopped by its grader (a sandbox ends well before).
JOB_TIMEOUT_SECONDS = 120
# Jobs at once in the web process when there is no Redis.
LOCAL_WORKERS = 2


def enqueue_job(target: str, **kwargs: Any) -> None:
    """Run the function named ``target`` ("module:function") with ``kwargs`` in the background."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("JOBS_INLINE"):
        run_job(target, kwargs, app=app)
    elif app.config.get("REDIS_URL"):
        job_queue(app.config["REDIS_URL"]).enqueue(
            run_job, target, kwargs, job_timeout=JOB_TIMEOUT_SECONDS
        )
    else:
        local_pool().submit(run_job, target, kwargs, app=app)


def run_job(target: str, kwargs: dict[str, Any], *, app: Flask | None = None) -> None:
    """Run one job in an application context (a grader's own app when ``app`` is not given)."""
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    with (app or grader_app()).app_context():
        function(**kwargs)


@cache
def job_queue(redis_url: str) -> Queue:
    """The RQ queue in the Redis at ``redis_url``."""
    return Queue(QUEUE_NAME, connection=redis.Redis.from_url(redis_url))


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
