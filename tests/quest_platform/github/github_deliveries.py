"""Helpers of the GitHub tests: a classroom whose checkpoint takes links, its webhook turned on,
a student who linked their GitHub username, and deliveries signed as GitHub signs them.

The payloads in payloads/ follow GitHub's documented webhook payloads (``ping``, and
``pull_request`` opened and closed-merged); ``CHECKPOINT_TAG`` in them is replaced by the tag of
the checkpoint a test names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from quest_platform.models import Classroom, Quest, Stage, User, utcnow
from quest_platform.services.quests import StageDraft, assign_quest, create_quest, publish_quest

PAYLOADS = Path(__file__).parent / "payloads"
# The checkpoint of the hub's quest: first, so that it is open to the student at once.
CHECKPOINT = StageDraft(
    "checkpoint",
    "Show your login",
    settings={
        "prompt": "Open a pull request with your login route.",
        "rubric": ["Hashes passwords", "Renews the session"],
        "evidence": ["code", "link"],
    },
)


def signature_of(body: bytes, secret: str) -> str:
    """X-Hub-Signature-256 as GitHub computes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(name: str, *, checkpoint: int | None = None) -> dict[str, Any]:
    """A payload of payloads/, naming checkpoint ``checkpoint`` (or none) where it says
    CHECKPOINT_TAG."""
    text = (PAYLOADS / f"{name}.json").read_text("utf-8")
    tag = f"checkpoint-{checkpoint}" if checkpoint is not None else "no checkpoint named"
    return json.loads(text.replace("CHECKPOINT_TAG", tag))


def checkpoint_quest(make: Any, *, evidence: tuple[str, ...] = ("code", "link")) -> Quest:
    """A published quest of seven stages whose first is a checkpoint taking ``evidence``."""
    checkpoint = StageDraft(
        CHECKPOINT.kind,
        CHECKPOINT.title,
        settings={**CHECKPOINT.settings, "evidence": list(evidence)},
    )
    quest = create_quest(
        slug=f"login-{make._next()}",
        title="Login",
        theme="West Coast Travel",
        summary="",
        stages=[checkpoint, *make.stage_drafts(6)],
        author=None,
    )
    return publish_quest(quest=quest, by=None)


def give(quest: Quest, classroom: Classroom) -> None:
    """Assign ``quest`` to ``classroom``, open since yesterday."""
    opens = utcnow() - timedelta(days=1)
    assign_quest(
        quest=quest, classroom=classroom, opens_at=opens, due_at=opens + timedelta(days=14), by=None
    )


@dataclass
class Hub:
    """A classroom with its webhook on (``secret``), its teacher, a student who linked the
    GitHub login "ada-codes" (the payloads' author), and a quest given to it whose first stage
    is a checkpoint taking links (``checkpoint``)."""

    client: FlaskClient
    classroom: Classroom
    teacher: User
    student: User
    quest: Quest
    checkpoint: Stage
    secret: str

    def deliver(
        self,
        event: str,
        document: Any,
        *,
        delivery: str | None = None,
        secret: str | None = None,
        signature: str | None = None,
        classroom_id: int | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        client: FlaskClient | None = None,
    ) -> TestResponse:
        """Send ``document`` (JSON, or bytes as they are) as GitHub would: signed with the
        classroom's secret (or ``secret``), unless ``signature`` is given ("" sends none)."""
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        sent = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "512345678",
            "User-Agent": "GitHub-Hookshot/2f6d2bb",
        }
        if signature is None:
            signature = signature_of(body, secret or self.secret)
        if signature:
            sent["X-Hub-Signature-256"] = signature
        sent.update(headers or {})
        sent = {name: value for name, value in sent.items() if value is not None}
        return (client or self.client).post(
            f"/hooks/github/{classroom_id or self.classroom.id}",
            data=body,
            headers=sent,
            content_type=content_type,
        )

    def opened(self, checkpoint: int | None = None, **kwargs: Any) -> TestResponse:
        """The pull request opened, naming the hub's checkpoint (or ``checkpoint``)."""
        named = self.checkpoint.id if checkpoint is None else checkpoint
        return self.deliver(
            "pull_request", payload("pull_request_opened", checkpoint=named), **kwargs
        )

    def merged(self, **kwargs: Any) -> TestResponse:
        """The pull request closed and merged, naming the hub's checkpoint."""
        document = payload("pull_request_closed_merged", checkpoint=self.checkpoint.id)
        return self.deliver("pull_request", document, **kwargs)
