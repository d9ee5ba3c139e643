"""The screenshot tool finds every screen in a seeded demo, and each one opens for its person.

No screenshots are taken here (that is `make screenshots`); this only proves the list resolves.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from helpers import post_form

from seeds.load import DemoCalendar, seed_demo
from tools.screenshots import demo_logins, demo_shots

SCREENS = {
    "teacher-home",
    "quest-editor",
    "checkpoint-review",
    "quest-map",
    "stage",
    "quest-complete",
}


def test_every_screen_of_the_demo_opens_for_the_person_shown(app, client_factory, db):
    calendar = DemoCalendar(day=date(2026, 11, 18))
    seed_demo(seed=2026, calendar=calendar, echo=lambda line: None)
    logins = demo_logins(Path(app.config["DEMO_LOGINS_FILE"]))

    with app.test_request_context():
        shots = demo_shots(now=calendar.now)

    assert {shot.name for shot in shots} == SCREENS
    for shot in shots:
        client = client_factory()
        signed_in = post_form(
            client, "/login", {"email": shot.username, "password": logins[shot.username]}
        )
        assert signed_in.status_code == 302, shot.username
        page = client.get(shot.path)
        assert page.status_code == 200, f"{shot.name}: {shot.path} answered {page.status_code}"
