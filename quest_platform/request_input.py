"""What a request may send: JSON read within bounds, forms on pages, no NUL character anywhere.

Every body is checked by these rules before a view sees it, so that no parser behind them
(Flask's ``get_json``, webargs under /api, Flask-WTF, Flask-Security) meets input it would
fail on: hostile input is a 400, 413, 415 or 422 with its reason, and nothing is written.

- JSON is read as UTF-8, at most MAX_JSON_BYTES, nested at most MAX_JSON_DEPTH levels, with
  numbers within 64 bits, no NaN or Infinity, no key twice in an object and no text that is
  not Unicode (a lone surrogate), which no database column could store.
- The site's pages take forms: a JSON body outside /api is refused (415).
- No address, argument, form field or JSON text may hold the NUL character.

Webhooks from other services (under HOOKS_PREFIX: GitHub's, quest_platform/github) are left to
their view, which checks the sender's signature on the raw body before it reads the JSON by
these same rules (:func:`read_json`), within a limit of its own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any, NoReturn, cast

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_smorest import abort
from werkzeug.wrappers import Response

from quest_platform.errors import is_api_request, problem, render_error

# Room for the longest answer (services/grading.py: 20,000 characters of text) even when
# every character is written as a \u escape; far less than a screenshot form needs.
MAX_JSON_BYTES = 256 * 1024
# No document the API takes is more than a few levels deep.
MAX_JSON_DEPTH = 32
# Ids, counts and choice numbers: none is beyond a signed 64-bit integer.
LARGEST_NUMBER = 2**63 - 1
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
HOOKS_PREFIX = "/hooks/"


class UnusableJSON(ValueError):
    """A JSON body the platform does not read, with the reason in words."""


def refuse_json(reason: Any) -> NoReturn:
    raise UnusableJSON(str(reason))


def bounded_int(literal: str) -> int:
    # Checked on the text first: converting thousands of digits is itself slow.
    if len(literal.lstrip("-")) > len(str(LARGEST_NUMBER)) or abs(int(literal)) > LARGEST_NUMBER:
        refuse_json(_l("A number in the JSON body is too large."))
    return int(literal)


def bounded_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number) or abs(number) > LARGEST_NUMBER:
        refuse_json(_l("A number in the JSON body is too large."))
    return number


def no_constant(name: str) -> NoReturn:
    refuse_json(_l("JSON has no %(name)s: send a number or null.", name=name))


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        refuse_json(_l("A key appears twice in one object of the JSON body."))
    return document


def read_json(data: str | bytes) -> Any:
    """The document ``data`` holds, if it keeps every rule of this module.

    Raises UnusableJSON (a ValueError, as Flask expects of a JSON reader) naming what is wrong,
    or json.JSONDecodeError for text that is not JSON at all.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            refuse_json(_l("The JSON body is not UTF-8 text."))
    try:
        document = json.loads(
            data,
            parse_int=bounded_int,
            parse_float=bounded_float,
            parse_constant=no_constant,
            object_pairs_hook=unique_keys,
        )
    except RecursionError:
        refuse_json(too_deep())
    check_depth_and_text(document)
    return document


def too_deep() -> str:
    return ngettext(
        "The JSON body is nested more than %(num)d level deep.",
        "The JSON body is nested more than %(num)d levels deep.",
        MAX_JSON_DEPTH,
    )


def check_depth_and_text(document: Any) -> None:
    """Refuse a document nested deeper than MAX_JSON_DEPTH or holding a lone surrogate."""
    # A stack, not recursion: the document may be as deep as the parser allowed.
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                refuse_json(too_deep())
            items = value.values() if isinstance(value, dict) else value
            pending.extend((item, depth + 1) for item in items)
            if isinstance(value, dict):
                pending.extend((key, depth) for key in value)
        elif isinstance(value, str) and LONE_SURROGATE.search(value):
            refuse_json(_l("The JSON body holds text that is not valid Unicode."))


def texts_in(document: Any) -> Iterator[str]:
    """Every key and text of a JSON document."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading by the rules of :func:`read_json` (``request.get_json`` uses it)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return read_json(s)


class CheckedRequest(Request):
    """A request whose JSON body is smaller than forms may be, and refused with its reason."""

    @property
    def max_content_length(self) -> int | None:
        """MAX_CONTENT_LENGTH, or MAX_JSON_BYTES for a JSON body, whoever reads it first."""
        limit = super().max_content_length
        if not self.is_json or self.path.startswith(HOOKS_PREFIX):
            return limit
        return min(limit or MAX_JSON_BYTES, MAX_JSON_BYTES)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        # Flask's own setter: a view may still set a limit for its request alone.
        cast(property, Request.max_content_length).__set__(self, value)

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, UnusableJSON):
            reason = str(e)
        elif isinstance(e, json.JSONDecodeError):
            reason = str(
                _l(
                    "The body is not valid JSON (line %(line)d, column %(column)d).",
                    line=e.lineno,
                    column=e.colno,
                )
            )
        else:
            reason = str(_l("The body is not valid JSON."))
        # Read by errors.problem_from as the message and the errors of the body.
        abort(400, message=reason, messages={"json": [reason]})


def has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def check_request_input() -> tuple[str | Response, int] | None:
    """Refuse what no view may read: see the module's rules.

    PostgreSQL cannot store the NUL character: unchecked, it would fail deep in a transaction.
    """
    if "\x00" in request.path:
        return problem(404) if is_api_request() else render_error(404)
    if request.path.startswith(HOOKS_PREFIX):
        return None
    texts: list[str] = [text for pair in request.args.items(multi=True) for text in pair]
    if request.is_json and has_body():
        if not is_api_request():
            return render_error(415)
        # Read once here, by the rules above; the parsers behind read the same checked body.
        texts.extend(texts_in(request.get_json()))
    elif request.method == "POST":
        texts.extend(text for pair in request.form.items(multi=True) for text in pair)
    if any("\x00" in text for text in texts):
        message = _l("Text cannot contain the NUL character.")
        return problem(422, str(message)) if is_api_request() else render_error(422)
    return None


def register_request_checks(app: Flask) -> None:
    """Read JSON by the rules above everywhere, and check every request's input first."""
    app.json = BoundedJSONProvider(app)
    app.request_class = CheckedRequest
    app.before_request(check_request_input)
