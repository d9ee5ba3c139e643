"""The fault scenario's students: each a thread that signs in and answers until told to stop,
noting every response it gets.

Two thirds of the students answer through the API (``POST /api/v1/quests/<slug>/stages/<n>/
attempts``, JSON, signed in with ``POST /api/v1/session``), the rest through the quiz page's form
(signed in with the login form); a few of those also hand in checkpoint screenshots while
uploads are open (the disk fault). Every answer carries a submission key; a client that gets no
clear answer (a 5xx, a reset connection, a timeout) sends the same answer with the same key
again, as a careful client does, until it is acknowledged, refused (4xx) or a minute has passed.
Signed out (401, or the form sent to the login page), it signs in again and carries on with the
same key; a CSRF refusal fetches a new token first.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import threading
import time
import urllib.parse
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

# Seconds a client waits for a response, and between two sends of one answer.
TIMEOUT = 30.0
RETRY_PAUSE = 0.5
# How long a client keeps sending one answer that gets no clear response.
GIVE_UP_AFTER = 60.0
COOKIE = "quest_session"
# A sentence that says something was recorded or saved, unless it says it was not ("Nothing
# you sent was saved"): read when a response has no ``recorded`` field.
SAVED_WORDS = re.compile(r"\b(recorded|saved)\b", re.IGNORECASE)
NOT_WORDS = re.compile(r"\b(nothing|not|no|never)\b|n't", re.IGNORECASE)
GUNICORN_500 = "<h1><p>Internal Server Error</p></h1>"
# The statuses of a response that never came, and the kinds of body that are the platform's own.
NO_RESPONSE = ("reset", "refused", "timeout")
PLATFORM_BODIES = ("problem", "page", "json", "redirect", "no body")


@dataclass
class Exchange:
    """One request a student sent and what came back."""

    student: str
    action: str  # answer-api, answer-form, upload, sign-in, csrf
    key: str | None
    start: float  # wall clock (time.time()), comparable with the attempts' submitted_at
    end: float
    status: int | str  # the HTTP status, or reset / refused / timeout
    body: str  # the kind of body: problem, page, json, redirect, gunicorn, werkzeug, empty, other
    said_recorded: bool
    acknowledged: bool  # the answer is accepted (2xx, or the form's redirect to its result)
    request_id: str
    path: str
    message: str

    @property
    def bare(self) -> bool:
        """A server error whose body is not the platform's (gunicorn's page, an empty body)."""
        return (
            isinstance(self.status, int)
            and self.status >= 500
            and (self.body not in PLATFORM_BODIES)
        )


@dataclass
class Reply:
    """A response as the client read it."""

    status: int | str
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")

    def cookies(self) -> list[str]:
        return [value for key, value in self.headers if key.lower() == "set-cookie"]


def send(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a new connection; a response that never came is a Reply whose status says
    why."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Reply(response.status, response.getheaders(), text)
    except ConnectionRefusedError:
        return Reply("refused")
    except TimeoutError:
        return Reply("timeout")
    except (http.client.HTTPException, ConnectionError, OSError):
        return Reply("reset")
    finally:
        connection.close()


def classify(reply: Reply) -> tuple[str, bool, str]:
    """The kind of a reply's body, whether it says an answer was recorded, and its message."""
    status, text = reply.status, reply.text
    if not isinstance(status, int):
        return "none", False, ""
    if status in (301, 302, 303):
        return "redirect", False, reply.header("Location")
    if status == 204 or (not text.strip() and status < 300):
        return "no body", False, ""
    if not text.strip():
        return "empty", False, ""
    if "json" in reply.header("Content-Type"):
        try:
            data = json.loads(text)
        except ValueError:
            return "other", False, text[:120]
        if isinstance(data, dict) and {"status", "title", "message"} <= set(data):
            message = str(data.get("message", ""))
            said = data["recorded"] is True if "recorded" in data else says_saved(message)
            return "problem", said, f"{data.get('title')}: {message}"[:160]
        return "json", False, ""
    if GUNICORN_500 in text:
        return "gunicorn", False, "gunicorn's Internal Server Error"
    if 'class="error-page"' in text or "Quest Platform" in text:
        title = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.DOTALL)
        section = re.search(r'class="error-page".*?</section>', text, re.DOTALL)
        said = section is not None and says_saved(re.sub(r"<[^>]+>", " ", section.group(0)))
        return "page", said, " ".join((title.group(1) if title else "").split())[:160]
    if "<title>" in text and "Internal Server Error" in text:
        return "werkzeug", False, "Werkzeug's Internal Server Error"
    return "other", False, " ".join(text.split())[:120]


def says_saved(text: str) -> bool:
    """Whether a sentence of ``text`` says something was recorded or saved (and not that
    nothing was)."""
    sentences = re.split(r"(?<=[.!?:])\s+", " ".join(text.split()))
    return any(SAVED_WORDS.search(s) and not NOT_WORDS.search(s) for s in sentences)


def screenshot_png() -> bytes:
    """A small, real PNG screenshot for the checkpoints."""
    from PIL import Image

    image = Image.new("RGB", (96, 64), (40, 90, 160))
    for x in range(0, 96, 8):
        for y in range(0, 64, 8):
            image.putpixel((x, y), (x * 2, y * 3, 200))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def multipart(fields: dict[str, str], file_field: str, data: bytes) -> tuple[bytes, str]:
    """A multipart form with ``fields`` and one PNG file; its body and content type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}";'
        f' filename="dashboard.png"\r\nContent-Type: image/png\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Classroom:
    """What every student thread shares: the server, the log of exchanges, the stop signal, and
    whether uploads are open."""

    def __init__(self, port: int, *, think: float) -> None:
        self.port = port
        self.think = think
        self.stop = threading.Event()
        self.uploads_open = threading.Event()
        self.exchanges: list[Exchange] = []
        # When each student last had an answer acknowledged.
        self.acknowledged_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)
            if exchange.acknowledged:
                self.acknowledged_at[exchange.student] = exchange.end

    def answering_since(self, moment: float) -> int:
        """How many students had an answer acknowledged after ``moment``."""
        with self._lock:
            return sum(1 for end in self.acknowledged_at.values() if end >= moment)

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)


class Student(threading.Thread):
    """One student answering the unlimited quiz in turn right and wrong until the class stops;
    through the API or the form (``way``); an ``uploader`` also hands in screenshots while
    uploads are open."""

    def __init__(
        self,
        classroom: Classroom,
        *,
        username: str,
        password: str,
        way: str,
        quiz: dict[str, Any],
        api_answers: list[dict[str, Any]],
        checkpoints: list[dict[str, Any]],
        uploader: bool,
        screenshot: bytes,
    ) -> None:
        super().__init__(name=f"student-{username}", daemon=True)
        self.classroom = classroom
        self.username = username
        self.password = password
        self.way = way
        self.quiz = quiz
        self.api_answers = api_answers
        self.checkpoints = list(checkpoints) if uploader else []
        self.screenshot = screenshot
        self.cookie = ""
        self.csrf = ""
        self.turn = 0
        self.next_upload = 0.0

    # Talking to the server, every exchange noted.

    def exchange(
        self,
        action: str,
        method: str,
        path: str,
        *,
        key: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> tuple[Exchange, Reply]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if content_type:
            headers["Content-Type"] = content_type
        headers |= extra or {}
        start = time.time()
        reply = send(self.classroom.port, method, path, body, headers)
        end = time.time()
        for cookie in reply.cookies():
            if cookie.startswith(f"{COOKIE}="):
                self.cookie = cookie.split(";")[0]
        kind, said, message = classify(reply)
        status = reply.status
        accepted = (isinstance(status, int) and 200 <= status < 300) or (
            status in (302, 303) and "answered=" in reply.header("Location")
        )
        acknowledged = key is not None and accepted
        exchange = Exchange(
            student=self.username,
            action=action,
            key=key,
            start=start,
            end=end,
            status=status,
            body=kind,
            said_recorded=said,
            acknowledged=acknowledged,
            request_id=reply.header("X-Request-ID"),
            path=path,
            message=message,
        )
        self.classroom.note(exchange)
        return exchange, reply

    def sign_in(self) -> bool:
        """Sign in (API or form) and fetch a CSRF token; whether it worked."""
        self.cookie = ""
        if self.way == "api":
            body = json.dumps({"username": self.username, "password": self.password}).encode()
            done, _ = self.exchange(
                "sign-in", "POST", "/api/v1/session", body=body, content_type="application/json"
            )
            if done.status != 200:
                return False
            done, reply = self.exchange("csrf", "GET", "/api/v1/session/csrf")
            if done.status != 200:
                return False
            self.csrf = json.loads(reply.text)["csrf_token"]
            return True
        done, reply = self.exchange("csrf", "GET", "/login")
        token = csrf_in(reply.text)
        if done.status != 200 or token is None:
            return False
        form = {"email": self.username, "password": self.password, "csrf_token": token}
        done, reply = self.exchange(
            "sign-in",
            "POST",
            "/login",
            body=urllib.parse.urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        if done.status != 302 or "/login" in reply.header("Location"):
            return False
        done, reply = self.exchange("csrf", "GET", self.quiz_path())
        token = csrf_in(reply.text)
        if done.status != 200 or token is None:
            return False
        self.csrf = token
        return True

    def quiz_path(self) -> str:
        return f"/quests/{self.quiz['slug']}/{self.quiz['position']}"

    def send_answer(self, key: str) -> tuple[Exchange, Reply]:
        """Send the quiz answer of this turn with ``key``."""
        right_or_wrong = self.turn % 2
        if self.way == "api":
            body = json.dumps(
                {"answer": self.api_answers[right_or_wrong], "submission_key": key}
            ).encode()
            path = f"/api/v1/quests/{self.quiz['slug']}/stages/{self.quiz['position']}/attempts"
            return self.exchange(
                "answer-api",
                "POST",
                path,
                key=key,
                body=body,
                content_type="application/json",
                extra={"X-CSRFToken": self.csrf},
            )
        fields = urllib.parse.urlencode({"submission_key": key, "csrf_token": self.csrf})
        form = f"{self.quiz['answers'][right_or_wrong]}&{fields}"
        return self.exchange(
            "answer-form",
            "POST",
            self.quiz_path(),
            key=key,
            body=form.encode(),
            content_type="application/x-www-form-urlencoded",
        )

    def send_upload(self, key: str) -> tuple[Exchange, Reply]:
        """Hand in the next checkpoint with a screenshot, with ``key``."""
        checkpoint = self.checkpoints[0]
        body, content_type = multipart(
            {
                "csrf_token": self.csrf,
                "submission_key": key,
                "evidence": "",
                "alt_text": "The admin dashboard listing travelers and their attempts.",
            },
            "screenshot",
            self.screenshot,
        )
        path = f"/quests/{checkpoint['slug']}/{checkpoint['position']}"
        return self.exchange("upload", "POST", path, key=key, body=body, content_type=content_type)

    # The loop.

    def run(self) -> None:
        stop = self.classroom.stop
        signed_in = False
        while not stop.is_set():
            if not signed_in:
                signed_in = self.sign_in()
                if not signed_in:
                    stop.wait(RETRY_PAUSE)
                    continue
            upload = (
                bool(self.checkpoints)
                and self.classroom.uploads_open.is_set()
                and time.monotonic() >= self.next_upload
            )
            signed_in = self.until_answered(upload=upload)
            if upload:
                self.next_upload = time.monotonic() + 1.0
            else:
                self.turn += 1
            stop.wait(self.classroom.think)

    def until_answered(self, *, upload: bool) -> bool:
        """Send one answer (or upload) with a new key until it is acknowledged, refused, or
        given up on; whether the student is still signed in."""
        key = uuid.uuid4().hex
        deadline = time.monotonic() + GIVE_UP_AFTER
        stop = self.classroom.stop
        while True:
            done, reply = self.send_upload(key) if upload else self.send_answer(key)
            status = done.status
            if done.acknowledged:
                if upload:
                    self.checkpoints.pop(0)
                return True
            signed_out = status == 401 or (
                status in (302, 303) and "/login" in reply.header("Location")
            )
            if signed_out or (status == 400 and "CSRF" in reply.text.upper()):
                if not self.sign_in():
                    return False
            elif isinstance(status, int) and status < 500 and status != 429:
                # Refused (a 4xx, or the form's page with its error): a new answer next time.
                if upload and status == 200 and "already" in reply.text:
                    self.checkpoints.pop(0)
                return True
            if stop.is_set() or time.monotonic() > deadline:
                return True
            stop.wait(RETRY_PAUSE)


def csrf_in(page: str) -> str | None:
    """The CSRF token of the first form on ``page``."""
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    return found.group(1) if found else None


def as_dicts(exchanges: list[Exchange]) -> list[dict[str, Any]]:
    """The exchanges as plain dictionaries, for the JSON report."""
    return [asdict(exchange) for exchange in exchanges]
