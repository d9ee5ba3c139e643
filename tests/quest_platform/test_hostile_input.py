"""Hostile input: every body, argument and upload a parser could fail on is a clear 4xx.

JSON under /api is a problem naming what is wrong; elsewhere the site's error page. Whoever
sends it (anonymous or signed in), nothing is written.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
from typing import Any

import pytest
from flask import request
from helpers import csrf_token, hidden_fields, is_site_page
from PIL import Image
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from quest_platform.config import Config
from quest_platform.extensions import db as _db
from quest_platform.models import Enrollment, EvidenceFile
from quest_platform.request_input import MAX_JSON_BYTES, MAX_JSON_DEPTH, read_json

MAX_CONTENT_LENGTH = Config.MAX_CONTENT_LENGTH


def nested(depth: int) -> bytes:
    """Arrays in arrays, ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


# (what it is, body, status, words of the message)
HOSTILE_JSON = [
    ("deep arrays in an answer", b'{"answer":{"a":' + nested(5000) + b"}}", 400, "nested"),
    ("unclosed arrays", b"[" * 100_000, 400, "nested"),
    ("deep objects", b'{"a":' * 3000 + b"1" + b"}" * 3000, 400, "nested"),
    ("one level too deep", nested(MAX_JSON_DEPTH + 1), 400, "nested"),
    ("5,000 digits", b'{"name":' + b"9" * 5000 + b"}", 400, "too large"),
    ("an integer beyond 64 bits", b'{"days": 99999999999999999999}', 400, "too large"),
    ("a negative one", b'{"days": -9223372036854775809}', 400, "too large"),
    ("a float that overflows", b'{"days": 1e999}', 400, "too large"),
    ("a negative one too", b'{"days": -1e999}', 400, "too large"),
    ("a float beyond 64 bits", b'{"days": 1e300}', 400, "too large"),
    ("NaN", b'{"days": NaN}', 400, "JSON has no NaN"),
    ("Infinity", b'{"days": Infinity}', 400, "JSON has no Infinity"),
    ("-Infinity", b'{"days": -Infinity}', 400, "JSON has no -Infinity"),
    ("invalid UTF-8", b'{"name": "caf\xe9"}', 400, "not UTF-8"),
    ("UTF-16", '{"name": "x"}'.encode("utf-16"), 400, "not UTF-8"),
    ("a byte order mark", b'\xef\xbb\xbf{"name": "x"}', 400, "not valid JSON"),
    ("a lone surrogate", b'{"name": "\\ud800"}', 400, "not valid Unicode"),
    ("a lone surrogate in a key", b'{"\\udfff": 1}', 400, "not valid Unicode"),
    ("a key twice", b'{"name": "a", "name": "b"}', 400, "appears twice"),
    ("single quotes", b"{'name': 'x'}", 400, "line 1, column 2"),
    ("a cut-off body", b'{"name": "x"', 400, "not valid JSON"),
    ("a long body", b'{"name": "' + b"x" * MAX_JSON_BYTES + b'"}', 413, "larger"),
    ("a body over the upload limit", b"[" + b"1," * MAX_CONTENT_LENGTH + b"1]", 413, "larger"),
    ("the NUL character", b'{"name": "a\\u0000b"}', 422, "NUL"),
    ("the NUL character in a key", b'{"a\\u0000": "b"}', 422, "NUL"),
]

# (method, address, who calls): every operation that reads a body, and a few that read none.
JSON_OPERATIONS = [
    ("post", "/api/v1/session", "anonymous"),
    ("post", "/api/authenticate", "anonymous"),
    ("post", "/api/v1/tokens", "anonymous"),
    ("post", "/api/v1/tokens", "student"),
    ("patch", "/api/v1/me/profile", "student"),
    ("post", "/api/v1/quests/{slug}/stages/1/attempts", "student"),
    ("post", "/api/v1/quests/{slug}/stages/6/start", "student"),
    ("delete", "/api/v1/session", "student"),
    ("post", "/api/v1/tokens", "teacher"),
    ("get", "/api/v1/teaching/roster", "teacher"),
]
# One probe of each kind, sent to every operation.
CLASS_PROBES = {
    "deep arrays in an answer",
    "5,000 digits",
    "NaN",
    "a lone surrogate",
    "a key twice",
    "a long body",
}


def row_counts() -> dict[str, int]:
    """How many rows every table holds."""
    return {
        table.name: _db.session.scalar(select(func.count()).select_from(table))
        for table in _db.metadata.sorted_tables
    }


def send_json(
    client: Any, login_as: Any, school: Any, operation: tuple[str, str, str], body: bytes
):
    """Send ``body`` as JSON to ``operation`` (method, address, who), as a page of the site."""
    method, address, who = operation
    person = school.person(who)
    if person is not None:
        login_as(person, on=client)
    return getattr(client, method)(
        address.format(slug=school.quest.slug),
        data=body,
        content_type="application/json",
        headers={"X-Origin": "http://localhost:4000"},
    )


def assert_problem_and_nothing_written(
    response: Any, status: int, words: str, before: dict[str, int], school: Any, names: tuple
) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    problem = response.get_json()
    assert problem["status"] == status
    assert words in problem["message"]
    assert row_counts() == before
    _db.session.refresh(school.student)
    assert (school.student.display_name, school.student.pseudonym) == names


@pytest.mark.parametrize(("what", "body", "status", "words"), HOSTILE_JSON, ids=lambda x: x)
def test_hostile_json_is_a_clear_problem_and_writes_nothing(
    client, school, login_as, what, body, status, words
):
    answer = ("post", "/api/v1/quests/{slug}/stages/1/attempts", "student")
    names = (school.student.display_name, school.student.pseudonym)
    before = row_counts()

    response = send_json(client, login_as, school, answer, body)

    assert_problem_and_nothing_written(response, status, words, before, school, names)


@pytest.mark.parametrize(
    ("what", "body", "status", "words"),
    [case for case in HOSTILE_JSON if case[0] in CLASS_PROBES],
    ids=lambda x: x,
)
@pytest.mark.parametrize("operation", JSON_OPERATIONS, ids=" ".join)
def test_every_operation_refuses_hostile_json_whoever_calls(
    client, school, login_as, operation, what, body, status, words
):
    names = (school.student.display_name, school.student.pseudonym)
    before = row_counts()

    response = send_json(client, login_as, school, operation, body)

    assert_problem_and_nothing_written(response, status, words, before, school, names)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"username": "x", "password": "y"}', "text/plain"),
        (b"username=x&password=y", "application/x-www-form-urlencoded"),
        (b'{"username": "x", "password": "y"}', None),
        (b"", "application/json"),
    ],
)
def test_a_body_that_is_not_json_is_a_problem_naming_the_missing_fields(client, body, content_type):
    response = client.post("/api/v1/session", data=body, content_type=content_type)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"username", "password"}


def test_a_json_content_type_without_a_body_is_no_problem(client, school, login_as):
    login_as(school.student)
    response = client.delete(
        "/api/authenticate", content_type="application/json", headers={"X-Origin": "x"}
    )
    assert response.status_code == 200


def test_json_within_the_limits_is_read(client, school, login_as):
    login_as(school.student)
    answer = {"confirmed": True, "notes": {"deep": nested_document(MAX_JSON_DEPTH - 3)}}
    response = client.post(
        f"/api/v1/quests/{school.quest.slug}/stages/1/attempts",
        json={"answer": answer, "submission_key": "within-the-limits"},
        headers={"X-Origin": "x"},
    )
    assert response.status_code == 201


def test_a_view_may_set_its_own_body_limit_under_the_json_one(app):
    # Flask lets a view set request.max_content_length for its request alone.
    body = json.dumps({"answer": "x" * 100})
    with app.test_request_context("/", method="POST", data=body, content_type="application/json"):
        request.max_content_length = 10
        assert request.max_content_length == 10
        with pytest.raises(RequestEntityTooLarge):
            request.get_json()
        request.max_content_length = 10 * MAX_JSON_BYTES
        assert request.max_content_length == MAX_JSON_BYTES


def nested_document(depth: int) -> Any:
    document: Any = 1
    for _ in range(depth):
        document = [document]
    return document


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(nested_document(MAX_JSON_DEPTH)),
        '{"n": 9223372036854775807, "m": -9223372036854775807, "f": 1.5e18}',
        '{"text": "caf\\u00e9 \\ud83d\\ude00 \\\\u0000"}',
    ],
)
def test_the_reader_takes_what_is_within_the_limits(text):
    assert read_json(text.encode()) == json.loads(text)


# The site's pages take forms: a JSON body sent to them never reaches a form parser.
PAGE_FORMS = [
    ("/login", "anonymous"),
    ("/accounts/join", "anonymous"),
    ("/accounts/profile", "student"),
    ("/language", "student"),
    ("/logout", "student"),
    ("/quests/{slug}/1", "student"),
    ("/admin/user/new/", "teacher"),
]
JSON_SHAPES = [b"[1, 2, 3]", b"5", b'"text"', b'{"display_name": {"a": 1}, "email": [1]}']


@pytest.mark.parametrize("body", [*JSON_SHAPES, nested(5000)], ids=lambda body: body[:12])
@pytest.mark.parametrize(("address", "who"), PAGE_FORMS)
def test_a_json_body_sent_to_a_page_is_refused_in_the_sites_design(
    client, school, login_as, address, who, body
):
    person = school.person(who)
    if person is not None:
        login_as(person)
    token = csrf_token(client, "/accounts/profile" if person else "/login")
    before = row_counts()

    response = client.post(
        address.format(slug=school.quest.slug),
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 415
    assert is_site_page(response.get_data(as_text=True))
    assert "This page takes a form" in response.get_data(as_text=True)
    assert row_counts() == before


@pytest.mark.parametrize(
    "address", ["/quests?a%00=1", "/quests?x=%00", "/api/v1/quests?%00", "/api/v1/quests?q=a%00"]
)
def test_the_nul_character_in_any_argument_is_refused(client, school, login_as, address):
    login_as(school.student)
    assert client.get(address).status_code == 422


# The checkpoint form with a screenshot, sent as browsers and scripts might mangle it.
BOUNDARY = "checkpoint-form"


def png(size: tuple[int, int] = (20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def part(name: str | None, value: bytes | str, *, filename: str | None = None) -> bytes:
    disposition = "form-data" + (f'; name="{name}"' if name is not None else "")
    if filename is not None:
        disposition += f'; filename="{filename}"\r\nContent-Type: image/png'
    data = value.encode() if isinstance(value, str) else value
    return f"Content-Disposition: {disposition}".encode() + b"\r\n\r\n" + data


def multipart(*parts: bytes) -> bytes:
    separator = f"--{BOUNDARY}\r\n".encode()
    return b"".join(separator + item + b"\r\n" for item in parts) + f"--{BOUNDARY}--\r\n".encode()


FORM_CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def screenshot(filename: str = "login.png", data: bytes | None = None) -> bytes:
    return part("screenshot", png() if data is None else data, filename=filename)


# (what it is, content type, the parts after the form's own fields, status, words on the page)
MANGLED_UPLOADS = [
    ("no boundary", "multipart/form-data", [screenshot()], 400, "Your form expired"),
    ("another boundary", "multipart/form-data; boundary=x", [screenshot()], 400, "expired"),
    ("a file sent as text", FORM_CONTENT_TYPE, [part("screenshot", png())], 422, "check your"),
    ("a file without a name", FORM_CONTENT_TYPE, [screenshot("")], 422, "Add your evidence"),
    ("a part without a name", FORM_CONTENT_TYPE, [part(None, png(), filename="a.png")], 422, "Add"),
    (
        "a cut-off header",
        FORM_CONTENT_TYPE,
        [b"Content-Disposition: form-data; name="],
        400,
        "expired",
    ),
    ("1,200 parts", FORM_CONTENT_TYPE, [part(f"x{i}", "1") for i in range(1200)], 413, "too large"),
    (
        "a field over the form limit",
        FORM_CONTENT_TYPE,
        [part("notes", "x" * 600_000)],
        413,
        "large",
    ),
    (
        "a body over the upload limit",
        FORM_CONTENT_TYPE,
        [screenshot(data=b"0" * MAX_CONTENT_LENGTH)],
        413,
        "large",
    ),
    (
        "the NUL character",
        FORM_CONTENT_TYPE,
        [part("notes", "a\x00b"), screenshot()],
        422,
        "check your",
    ),
    ("a type forms do not send", "text/plain", [screenshot()], 400, "expired"),
]


@pytest.fixture
def at_checkpoint(school, make, db, login_as) -> tuple[Any, str]:
    """A student's client at a checkpoint that takes a screenshot, and the stage's address."""
    student = make.student()
    db.session.add(Enrollment(classroom=school.classroom, student=student))
    stage = school.quest.stages[2]
    stage.settings = {**stage.settings, "evidence": ["code", "screenshot"]}
    db.session.commit()
    client = login_as(student)
    for position, answer in [(1, {"confirmed": "yes"}), (2, {"q-q1": "1"})]:
        address = f"/quests/{school.quest.slug}/{position}"
        response = client.post(address, data={**hidden_fields(client, address), **answer})
        assert response.status_code == 302
    return client, f"/quests/{school.quest.slug}/3"


def checkpoint_form(client: Any, address: str, *parts: bytes) -> bytes:
    """The checkpoint form as its page would send it, followed by ``parts``."""
    fields = [part(name, value) for name, value in hidden_fields(client, address).items()]
    fields += [part("alt_text", "My login page"), part("evidence", "")]
    return multipart(*fields, *parts)


@pytest.mark.parametrize(
    ("what", "content_type", "parts", "status", "words"), MANGLED_UPLOADS, ids=lambda x: x
)
def test_a_mangled_upload_is_refused_and_nothing_written(
    at_checkpoint, app, what, content_type, parts, status, words
):
    client, address = at_checkpoint
    body = checkpoint_form(client, address, *parts)
    files = set(app.config["UPLOAD_DIR"].iterdir())
    before = row_counts()

    response = client.post(address, data=body, content_type=content_type)

    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert is_site_page(page)
    assert words in page
    assert row_counts() == before
    assert set(app.config["UPLOAD_DIR"].iterdir()) == files


@pytest.mark.parametrize(
    ("what", "parts"),
    [
        ("two files: the first counts", [screenshot(), screenshot("b.png", b"not an image")]),
        ("a file name with the NUL character", [screenshot("login\x00.png")]),
        ("a file name that is a path", [screenshot("../../etc/passwd")]),
        ("a file name of 5,000 characters", [screenshot("a" * 5000 + ".png")]),
    ],
    ids=lambda x: x,
)
def test_an_odd_but_whole_upload_keeps_one_screenshot_under_a_name_of_its_own(
    at_checkpoint, db, app, what, parts
):
    client, address = at_checkpoint
    body = checkpoint_form(client, address, *parts)
    files = set(app.config["UPLOAD_DIR"].iterdir())

    response = client.post(address, data=body, content_type=FORM_CONTENT_TYPE)

    assert response.status_code == 302
    evidence = db.session.scalars(select(EvidenceFile)).one()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\.png", evidence.stored_name)
    new_files = set(app.config["UPLOAD_DIR"].iterdir()) - files
    assert [path.name for path in new_files] == [evidence.stored_name]


def test_a_screenshot_followed_by_html_is_kept_and_served_without_it(at_checkpoint, db, app):
    client, address = at_checkpoint
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    body = checkpoint_form(client, address, screenshot(data=png() + html))

    response = client.post(address, data=body, content_type=FORM_CONTENT_TYPE)

    assert response.status_code == 302
    evidence = db.session.scalars(select(EvidenceFile)).one()
    kept = (app.config["UPLOAD_DIR"] / evidence.stored_name).read_bytes()
    assert b"<script" not in kept
    assert evidence.size_bytes == len(kept)
    with client.get(f"/evidence/{evidence.id}") as served:
        assert served.data == kept
        assert Image.open(io.BytesIO(served.data), formats=["PNG"]).size == (20, 10)


@pytest.mark.parametrize(
    ("address", "status", "mimetype"),
    [
        ("/", 400, "text/plain"),
        ("/no-such-page", 400, "text/plain"),
        ("/quests?x=%00", 422, "text/plain"),
        ("/api/v1/session", 400, "application/json"),
    ],
)
def test_a_host_header_that_names_no_host_is_a_4xx(client, address, status, mimetype):
    # A label of a host name has at most 63 characters: no address of the site can be built.
    response = client.get(address, headers={"Host": "a" * 64 + ".example.org"})
    assert response.status_code == status
    assert response.mimetype == mimetype


@pytest.mark.provokes_server_error
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS], ids=["full", "read-only"])
def test_a_screenshot_on_a_disk_that_cannot_take_it_says_so_and_leaves_nothing(
    at_checkpoint, app, monkeypatch, code
):
    client, address = at_checkpoint
    body = checkpoint_form(client, address, screenshot())
    folders = [app.config["UPLOAD_DIR"], app.config["SESSION_DIR"]]
    files = [set(folder.iterdir()) for folder in folders]
    before = row_counts()
    real_fdopen, real_open = os.fdopen, io.open

    class DiskRefuses(io.BufferedWriter):
        def write(self, data: Any) -> int:
            raise OSError(code, os.strerror(code))

    # Files are made (as on a full disk), then nothing can be written in them.
    def fdopen(handle: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            return DiskRefuses(io.FileIO(handle, "w"))
        return real_fdopen(handle, mode, *args, **kwargs)

    def open_file(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            return DiskRefuses(io.FileIO(file, "w"))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(os, "fdopen", fdopen)
    monkeypatch.setattr(io, "open", open_file)
    response = client.post(address, data=body, content_type=FORM_CONTENT_TYPE)
    monkeypatch.undo()

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "disk is full or read-only" in page
    assert "Nothing you sent was saved" in page
    assert row_counts() == before
    assert [set(folder.iterdir()) for folder in folders] == files, "no empty or partial file"
