"""The page cache: a student's pages kept per session and served again while still true.

A page marked with :func:`cached_page` is stored, once rendered for a signed-in student, with
the versions of the change stamps (``quest_platform.models.changes``) of what it shows: the
student, their classrooms, everything shared, and for boards the classrooms' leaderboards. The
next request for the same address in the same session and language is answered from the cache
before anything else runs, if those versions are unchanged: one read of the cache and one
primary-key read of the stamps instead of loading the user and rendering the page again.

What must differ on every view (a form's one-time key, the time a stage was opened) is a
:func:`per_view` value: the stored page keeps a marker in its place and each view gets a fresh
one. Pages with a flash message, a nonced script or a countdown are never stored, and a page
that turns stale at a known time (a quest falling due) says so with :func:`stale_at`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from cachelib import BaseCache, RedisCache, SimpleCache
from flask import Flask, current_app, g, make_response, request, session
from flask_security import current_user
from sqlalchemy import bindparam, select
from werkzeug.wrappers import Response

from quest_platform.extensions import db
from quest_platform.models import Enrollment, User
from quest_platform.models.changes import (
    EVERYTHING,
    ChangeStamp,
    board_scope,
    classroom_scope,
    student_scope,
)

# How long a stored page may be served: well inside the life of the CSRF tokens it carries.
PAGE_LIFETIME = 10 * 60
EXTENSION_KEY = "page_cache"

STAMPS = select(ChangeStamp.__table__.c.scope, ChangeStamp.__table__.c.version).where(
    ChangeStamp.__table__.c.scope.in_(bindparam("scopes", expanding=True))
)

PerViewMaker = Callable[..., str]
PER_VIEW_MAKERS: dict[str, PerViewMaker] = {}


@dataclass(frozen=True)
class CachedPage:
    """A rendered page, whom and what it was rendered from, and the holes to fill on each view."""

    user_token: str
    stamps: dict[str, int]
    body: str
    mimetype: str
    holes: tuple[tuple[str, str, tuple[Any, ...]], ...]
    expires_at: float

    def response(self) -> Response:
        """The page as a new response, with fresh values in its holes."""
        body = self.body
        for marker, kind, arguments in self.holes:
            body = body.replace(marker, PER_VIEW_MAKERS[kind](*arguments))
        return Response(body, mimetype=self.mimetype)


def per_view_value(kind: str) -> Callable[[PerViewMaker], PerViewMaker]:
    """Register a maker of a value that a page must show fresh on each view."""

    def register(maker: PerViewMaker) -> PerViewMaker:
        PER_VIEW_MAKERS[kind] = maker
        return maker

    return register


def per_view(kind: str, *arguments: Any) -> str:
    """A fresh value of ``kind`` for this page, made fresh again each time it is served."""
    value = PER_VIEW_MAKERS[kind](*arguments)
    if "page_holes" in g:
        g.page_holes.append((value, kind, arguments))
    return value


def stale_at(moment: datetime) -> None:
    """Say that the page being rendered stops being true at ``moment`` (a due date passing)."""
    if "page_holes" in g:
        g.page_stale_at = min(g.get("page_stale_at", float("inf")), moment.timestamp())


def never_store() -> None:
    """Say that the page being rendered must not be kept (it counts down, say)."""
    g.page_never_store = True


def cached_page(*, boards: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Keep the view's pages for students; ``boards`` adds their classrooms' leaderboards."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def cached(*args: Any, **kwargs: Any) -> Any:
            if not storable_request() or not current_user.is_authenticated:
                return view(*args, **kwargs)
            if not current_user.is_student:
                return view(*args, **kwargs)
            scopes = viewer_scopes(current_user, boards=boards)
            # Read before the page's data: a change committed meanwhile makes the copy outdated.
            stamps = versions_of(scopes)
            g.page_holes = []
            response = make_response(view(*args, **kwargs))
            store_page(response, stamps)
            return response

        cached.page_cache = True  # type: ignore[attr-defined]
        return cached

    return decorate


def storable_request() -> bool:
    """A GET in a signed-in session without a message waiting to be shown."""
    return (
        current_app.config["PAGE_CACHE"]
        and request.method == "GET"
        and "_user_id" in session
        and "_flashes" not in session
    )


def viewer_scopes(student: User, *, boards: bool) -> list[str]:
    """The scopes a student's page depends on: theirs, their classrooms' and everyone's."""
    classrooms = db.session.scalars(
        select(Enrollment.classroom_id).where(Enrollment.student_id == student.id)
    ).all()
    scopes = [EVERYTHING, student_scope(student.id)]
    scopes += [classroom_scope(classroom_id) for classroom_id in classrooms]
    if boards:
        scopes += [board_scope(classroom_id) for classroom_id in classrooms]
    return scopes


def versions_of(scopes: Iterable[str]) -> dict[str, int]:
    """The current version of each scope; a scope never changed is at 0."""
    scopes = list(scopes)
    # Core on a pooled connection, the cheapest read SQLAlchemy offers, as a hit makes no other;
    # on PostgreSQL in autocommit, as one statement needs no transaction: no BEGIN and ROLLBACK
    # round trips. (SQLite's driver begins no transaction for a SELECT, and switching its level
    # costs a PRAGMA each way.)
    engine = db.engine
    with engine.connect() as connection:
        if engine.dialect.name != "sqlite":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        found = dict(connection.execute(STAMPS, {"scopes": scopes}).all())
    return {scope: found.get(scope, 0) for scope in scopes}


def page_key() -> str:
    """The cache key of this request's page: the session, the address and the language asked."""
    languages = current_app.config["LANGUAGES"]
    language = f"{session.get('language', '')}/{request.accept_languages.best_match(languages)}"
    raw = f"{session.sid}\n{language}\n{request.full_path}"  # type: ignore[attr-defined]
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def store_page(response: Response, stamps: dict[str, int]) -> None:
    """Keep the page just rendered if it may be served again."""
    holes = g.pop("page_holes", [])
    if (
        response.status_code != 200
        or response.direct_passthrough
        or g.get("page_never_store")
        or "csp_nonce" in g
        or "_flashes" in session
    ):
        return
    body = response.get_data(as_text=True)
    stored_holes = []
    for number, (value, kind, arguments) in enumerate(holes):
        marker = f"\x00hole{number}\x00"
        body = body.replace(value, marker)
        stored_holes.append((marker, kind, arguments))
    expires_at = min(time.time() + PAGE_LIFETIME, g.pop("page_stale_at", float("inf")))
    page = CachedPage(
        user_token=session["_user_id"],
        stamps=stamps,
        body=body,
        mimetype=response.mimetype or "text/html",
        holes=tuple(stored_holes),
        expires_at=expires_at,
    )
    timeout = int(expires_at - time.time())
    if timeout > 0:
        cache().set(page_key(), page, timeout=timeout)


def serve_stored_page() -> Response | None:
    """Answer from the cache, before the user is loaded, when the stored page is still true."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "page_cache", False) or not storable_request():
        return None
    page = cache().get(page_key())
    if (
        not isinstance(page, CachedPage)
        or page.user_token != session["_user_id"]
        or page.expires_at <= time.time()
        or versions_of(page.stamps) != page.stamps
    ):
        return None
    return page.response()


def cache() -> BaseCache:
    """The app's page store."""
    return current_app.extensions[EXTENSION_KEY]


def register_page_cache(app: Flask) -> None:
    """Keep pages in Redis when REDIS_URL is set (shared by every process), else in memory."""
    if app.config.get("REDIS_URL"):
        import redis

        client = redis.Redis.from_url(app.config["REDIS_URL"])
        store: BaseCache = RedisCache(host=client, key_prefix="quest:")
    else:
        store = SimpleCache(threshold=2000)
    app.extensions[EXTENSION_KEY] = store
    # First of all: a stored page needs no user loaded, no identity and no rate-limit check.
    app.before_request_funcs.setdefault(None, []).insert(0, serve_stored_page)
