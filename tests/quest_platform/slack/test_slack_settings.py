"""A classroom's Slack settings in the admin: the language of its announcements and its webhook
URL, checked for shape, write-only once set (never in a page, a list, an export, the audit log
or a log); a CSRF-protected test message; the latest posts with how their sending went."""

from __future__ import annotations

import logging

import pytest
from helpers import csrf_token, post_form
from sqlalchemy import select

from quest_platform.extensions import db
from quest_platform.models import AuditEntry, Classroom, SlackPost
from quest_platform.services import ServiceError
from quest_platform.services.slack import update_slack_settings

SETTINGS = "/admin/classroom/slack/?id={id}"
TEST_MESSAGE = "/admin/classroom/slack/test/?id={id}"
DETAILS = "/admin/classroom/details/?id={id}"


def classroom_audit(classroom: Classroom) -> list[AuditEntry]:
    db.session.rollback()
    query = select(AuditEntry).where(
        AuditEntry.table_name == "classroom", AuditEntry.record_id == str(classroom.id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def stored(classroom: Classroom) -> Classroom:
    db.session.rollback()
    found = db.session.get(Classroom, classroom.id)
    assert found is not None
    return found


def test_a_teacher_sets_the_language_and_the_webhook_which_is_never_shown_again(
    client, make, login_as, fake_slack, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)
    settings = SETTINGS.format(id=classroom.id)
    assert "No webhook URL is set" in client.get(settings).get_data(as_text=True)

    response = post_form(client, settings, {"language": "es", "webhook_url": fake_slack.url})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{DETAILS.format(id=classroom.id)}#slack-title")
    saved = stored(classroom)
    assert (saved.language, saved.slack_webhook_url) == ("es", fake_slack.url)
    pages = {
        "settings": client.get(settings),
        "details": client.get(DETAILS.format(id=classroom.id)),
        "list": client.get("/admin/classroom/"),
        "CSV export": client.get("/admin/classroom/export/csv/"),
        "audit log": client.get("/admin/audit/"),
    }
    [*_, entry] = classroom_audit(classroom)
    pages["audit entry"] = client.get(f"/admin/audit/details/?id={entry.id}")
    for name, page in pages.items():
        assert page.status_code == 200, name
        body = page.get_data()
        assert fake_slack.secret.encode() not in body, f"the webhook URL shows in the {name}"
    assert "A webhook URL is set." in pages["settings"].get_data(as_text=True)
    assert "in Español" in pages["details"].get_data(as_text=True)
    assert entry.after["slack_webhook"] == "set"
    assert entry.after["language"] == "es"
    assert fake_slack.secret not in str(entry.before) + str(entry.after)
    assert fake_slack.secret not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/services/T0/B0/abc",  # not the allowed (test) origin
        "{origin}/services/T0/B0",  # not the whole path
        "{origin}/services/T0/B0/abc?channel=general",
        "{origin}/services/T0/B0/abc#top",
        "{origin}/services/T0/B0/a-b",
        "{origin}/triggers/T0/B0/abc",
        "javascript:alert(1)",
        "{origin}/services/T0/B0/" + "a" * 250,
    ],
)
def test_a_url_that_is_not_a_slack_incoming_webhook_is_refused(
    client, make, login_as, fake_slack, url
) -> None:
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)
    typed = url.format(origin=fake_slack.origin)

    response = post_form(
        client, SETTINGS.format(id=classroom.id), {"language": "en", "webhook_url": typed}
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert typed not in page, "a refused URL is not shown back either"
    assert stored(classroom).slack_webhook_url is None


def test_the_allowed_origins_come_from_the_settings(app, make, monkeypatch) -> None:
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    slack_url = "https://hooks.slack.com/services/T024BE7LD/B01ABCDEF/abcdEFGH1234"
    monkeypatch.setitem(app.config, "SLACK_WEBHOOK_ORIGINS", ["https://hooks.slack.com"])
    update_slack_settings(classroom=classroom, language="en", webhook_url=slack_url, by=teacher)
    assert stored(classroom).slack_webhook_url == slack_url

    for refused in ("http://hooks.slack.com/services/T0/B0/abc", "https://user:pw@hooks.slack.com"):
        with pytest.raises(ServiceError) as error:
            update_slack_settings(
                classroom=classroom, language="en", webhook_url=refused, by=teacher
            )
        assert error.value.field == "webhook_url"


def test_a_webhook_is_replaced_or_removed_and_the_audit_says_which(
    client, make, login_as, fake_slack
) -> None:
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)
    settings = SETTINGS.format(id=classroom.id)
    post_form(client, settings, {"language": "en", "webhook_url": fake_slack.url})
    replacement = f"{fake_slack.origin}/services/T0TEST/B0TEST/replacement42"

    assert post_form(client, settings, {"language": "en", "webhook_url": replacement}).status_code
    assert stored(classroom).slack_webhook_url == replacement
    # Saving the language alone keeps the webhook.
    post_form(client, settings, {"language": "es", "webhook_url": ""})
    assert stored(classroom).slack_webhook_url == replacement
    both = {"language": "en", "webhook_url": fake_slack.url, "remove_webhook": "y"}
    assert post_form(client, settings, both).status_code == 422
    response = post_form(client, settings, {"language": "en", "remove_webhook": "y"})

    assert response.status_code == 302
    assert stored(classroom).slack_webhook_url is None
    changes = [entry.after.get("slack_webhook") for entry in classroom_audit(classroom)]
    assert changes == [None, "set", "replaced", "kept", "removed"]
    assert "replacement42" not in str([entry.after for entry in classroom_audit(classroom)])


def test_a_language_the_platform_does_not_speak_is_refused(client, make, login_as) -> None:
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)

    response = post_form(client, SETTINGS.format(id=classroom.id), {"language": "fr"})

    assert response.status_code == 422
    assert stored(classroom).language == "en"


def test_the_test_message_reaches_slack_and_shows_on_the_classroom_page(
    client, make, login_as, slack_class, fake_slack
) -> None:
    login_as(slack_class.teachers[0])
    details = DETAILS.format(id=slack_class.id)

    response = post_form(client, TEST_MESSAGE.format(id=slack_class.id), {}, form_page=details)

    assert response.status_code == 302
    assert fake_slack.texts == [
        f"Test message from Quest Platform: the announcements of {slack_class.name} will "
        "appear in this channel."
    ]
    page = client.get(details).get_data(as_text=True)
    assert "The test message is on its way" in page
    assert "Latest posts to Slack" in page
    assert "<td>Sent</td>" in page
    assert fake_slack.secret not in page


def test_the_classroom_page_shows_why_a_post_failed(
    client, make, login_as, slack_class, fake_slack
) -> None:
    fake_slack.answer_with(500, 500, 500)
    login_as(slack_class.teachers[0])
    details = DETAILS.format(id=slack_class.id)

    post_form(client, TEST_MESSAGE.format(id=slack_class.id), {}, form_page=details)

    page = client.get(details).get_data(as_text=True)
    assert "<td>Failed</td>" in page
    assert "<td>3</td>" in page
    assert "Slack answered 500: rollup_error" in page


def test_the_test_message_needs_a_csrf_token(client, make, login_as, slack_class, fake_slack):
    login_as(slack_class.teachers[0])

    response = client.post(TEST_MESSAGE.format(id=slack_class.id))

    assert response.status_code == 400
    assert fake_slack.received == []
    assert db.session.scalars(select(SlackPost)).all() == []


def test_settings_need_a_csrf_token(client, make, login_as, fake_slack) -> None:
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)

    response = client.post(
        SETTINGS.format(id=classroom.id), data={"language": "es", "webhook_url": fake_slack.url}
    )

    assert response.status_code == 400
    assert stored(classroom).slack_webhook_url is None


def test_without_a_webhook_the_test_message_says_what_to_do(client, make, login_as, fake_slack):
    teacher = make.teacher()
    classroom = make.classroom(teachers=[teacher])
    login_as(teacher)
    details = DETAILS.format(id=classroom.id)
    assert "Send a test message" not in client.get(details).get_data(as_text=True)

    response = post_form(
        client, TEST_MESSAGE.format(id=classroom.id), {}, form_page=details, follow_redirects=True
    )

    assert "Set the classroom&#39;s Slack webhook URL first." in response.get_data(as_text=True)
    assert fake_slack.received == []


def test_another_teachers_classroom_is_missing(
    client, make, login_as, slack_class, fake_slack
) -> None:
    login_as(make.teacher())
    token = csrf_token(client, "/admin/classroom/")
    data = {"language": "es", "webhook_url": "", "remove_webhook": "y", "csrf_token": token}

    assert client.get(SETTINGS.format(id=slack_class.id)).status_code == 404
    assert client.post(SETTINGS.format(id=slack_class.id), data=data).status_code == 404
    response = client.post(TEST_MESSAGE.format(id=slack_class.id), data={"csrf_token": token})
    assert response.status_code == 404
    assert stored(slack_class).slack_webhook_url == fake_slack.url
    assert fake_slack.received == []
