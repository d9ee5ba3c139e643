"""The API keeps its OpenAPI document: a property-based run of every operation against it.

Schemathesis generates calls from the document (valid and invalid input), made by a signed-in
student, then a teacher, with a personal token, and checks every answer: never a server error,
and always a status, content type and body the document describes. Bounded: a few examples per
operation, the same each run.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from quest_platform import create_app
from quest_platform.services.tokens import create_api_token

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Served:
    """The app as a WSGI server runs it: each call in its own application context.

    The document is read at collection time from an app of its own; the calls go to the
    suite's app (and its database) once ``caller_token`` points here at it.
    """

    def __init__(self) -> None:
        self.app = create_app("testing")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.app.app_context():
            return list(self.app(environ, start_response))


served = Served()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", served)


@pytest.fixture(params=["student", "teacher"])
def caller_token(request, app, school, make) -> str:
    """A token of the school's student or teacher, with a prediction for the teacher to read."""
    served.app = app
    make.prediction(student=school.student, classroom=school.classroom, quest=school.quest)
    return create_api_token(user=getattr(school, request.param), name="Property run").secret


def test_the_document_describes_every_operation(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    operations = sum(len(methods) for methods in document["paths"].values())
    assert operations >= 25


def test_the_reference_page_needs_nothing_from_the_network(client):
    response = client.get("/api/v1/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in page
    for reference in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert reference.startswith(("/", "#")), reference
    document = client.get("/api/v1/openapi.json").get_json()
    for path in document["paths"]:
        assert f"<code>{path}" in page or f" {path}</code>" in page, path
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page, name


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, caller_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {caller_token}"},
        checks=CHECKS,
    )
