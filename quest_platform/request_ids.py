"""The id of each request: named in its log line, on its error page and in its X-Request-ID header.

A teacher who reports an error quotes the id the page shows; it finds the request's log line.
A reverse proxy that already names requests (nginx's ``$request_id``) passes its id in the
header, and the platform keeps it, so the proxy's log and the platform's agree.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# Where the id is kept: the WSGI environ lives from the request's first byte to its last, even
# when the session or the database never opened.
ENVIRON_KEY = "quest_platform.request_id"
# An id offered by the proxy is kept only in this shape: it goes into logs and pages as is.
OFFERED_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id() -> str:
    """This request's id: the proxy's, when it offered a well-formed one, else a new one."""
    return id_of(request.environ)


def id_of(environ: dict[str, Any]) -> str:
    """The id of the request of ``environ``, given it on first asking (no request needed)."""
    found = environ.get(ENVIRON_KEY)
    if found is None:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        found = offered if OFFERED_ID.fullmatch(offered) else uuid.uuid4().hex
        environ[ENVIRON_KEY] = found
    return str(found)


def name_response(response: Response) -> Response:
    """Send the request's id back, so a client's report can name it."""
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def register_request_ids(app: Flask) -> None:
    """Give every response its request's id."""
    app.after_request(name_response)
