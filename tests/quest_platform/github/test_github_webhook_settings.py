"""A classroom's GitHub webhook in the admin: turned on with a strong secret shown once (with the
payload URL and how to add it on GitHub), given a new secret or turned off, audited without the
secret; afterwards only "set" shows, never the secret: not in a list, an export, a details page,
the audit log or the server's log."""

from __future__ import annotations

import logging
import re

import pytest
from github_deliveries import payload, signature_of
from helpers import post_form
from sqlalchemy import select

from quest_platform.models import AuditEntry, Classroom

SECRET = re.compile(r"<dt>Secret</dt><dd><code>([^<]+)</code></dd>")


@pytest.fixture
def teacher_page(make, login_as, client):
    """A teacher signed in, with one classroom (webhook off)."""
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)
    return teacher, classroom


def details(classroom: Classroom) -> str:
    return f"/admin/classroom/details/?id={classroom.id}"


def change(client, classroom: Classroom, what: str):
    return post_form(
        client,
        f"/admin/classroom/github/?id={classroom.id}",
        {"change": what},
        form_page=details(classroom),
    )


def secret_shown(response) -> str:
    match = SECRET.search(re.sub(r">\s+<", "><", response.get_data(as_text=True)))
    assert match, response.get_data(as_text=True)[:3000]
    return match.group(1)


def test_turning_the_webhook_on_shows_a_strong_secret_once_with_how_to_use_it(
    teacher_page, client, db
):
    _teacher, classroom = teacher_page
    assert "Turn the webhook on" in client.get(details(classroom)).get_data(as_text=True)
    response = change(client, classroom, "on")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    secret = secret_shown(response)
    assert len(secret) >= 40
    assert re.fullmatch(r"[A-Za-z0-9_-]+", secret)
    assert f"http://localhost/hooks/github/{classroom.id}" in page
    assert "application/json" in page
    assert "Pull requests" in page
    assert "shown only once" in page
    db.session.rollback()
    assert db.session.get(Classroom, classroom.id).github_webhook_secret == secret


def test_afterwards_the_secret_is_never_shown_again(teacher_page, client, db, caplog):
    _teacher, classroom = teacher_page
    with caplog.at_level(logging.DEBUG):
        secret = secret_shown(change(client, classroom, "on"))
        pages = [
            client.get(details(classroom)),
            client.get("/admin/classroom/"),
            client.get(f"/admin/classroom/edit/?id={classroom.id}"),
            client.get("/admin/classroom/export/csv/"),
            client.get("/admin/classroom/export/xlsx/"),
            client.get("/admin/audit/"),
        ]
    for response in pages:
        assert response.status_code == 200
        assert secret.encode() not in response.get_data()
    assert "Make a new secret" in pages[0].get_data(as_text=True)
    assert "The secret is set." in pages[0].get_data(as_text=True)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.table_name == "classroom").order_by(AuditEntry.id)
    ).all()
    for entry in entries:
        audit_page = client.get(f"/admin/audit/details/?id={entry.id}").get_data()
        assert secret.encode() not in audit_page
        assert secret not in str(entry.before) + str(entry.after)
    assert entries[-1].after["github_webhook"] == "on, with a new secret"
    assert secret not in caplog.text


def test_a_new_secret_replaces_the_old_and_turning_off_forgets_it(teacher_page, client, db):
    _teacher, classroom = teacher_page
    first = secret_shown(change(client, classroom, "on"))
    second = secret_shown(change(client, classroom, "on"))
    assert first != second
    response = change(client, classroom, "off")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#github-title")
    db.session.rollback()
    assert db.session.get(Classroom, classroom.id).github_webhook_secret is None
    page = client.get(details(classroom)).get_data(as_text=True)
    assert "deliveries to it are refused" in page
    actions = [
        entry.after.get("github_webhook")
        for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "classroom").order_by(AuditEntry.id)
        )
    ]
    assert actions[-3:] == ["on, with a new secret", "on, with a new secret", "off"]


def test_an_unknown_change_changes_nothing(teacher_page, client, db):
    _teacher, classroom = teacher_page
    response = change(client, classroom, "maybe")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Classroom, classroom.id).github_webhook_secret is None


def test_another_teachers_classroom_is_not_found(teacher_page, make, client, db):
    other = make.classroom()
    response = client.post(
        f"/admin/classroom/github/?id={other.id}",
        data={"change": "on", "csrf_token": csrf_of(client)},
    )
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Classroom, other.id).github_webhook_secret is None


def csrf_of(client) -> str:
    page = client.get("/admin/classroom/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_latest_deliveries_show_on_the_classroom_page(teacher_page, client, db):
    _teacher, classroom = teacher_page
    secret = secret_shown(change(client, classroom, "on"))
    body = b'{"zen": "Keep it logically awesome."}'
    for event, document in (("ping", body), ("push", body)):
        client.post(
            f"/hooks/github/{classroom.id}",
            data=document,
            content_type="application/json",
            headers={
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": f"delivery-{event}",
                "X-Hub-Signature-256": signature_of(document, secret),
            },
        )
    page = client.get(details(classroom)).get_data(as_text=True)
    assert "Latest deliveries from GitHub" in page
    assert "<td>Ping</td>" in page
    assert "<td>Ignored</td>" in page
    assert "Only pull request events are read, not “push”." in page
    assert secret not in page
    assert payload("ping")["zen"] not in page
