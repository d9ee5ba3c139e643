"""The quest assignments view: listing, assigning, moving dates and taking quests back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import post_form
from sqlalchemy import select

from quest_platform.models import AuditEntry, QuestAssignment, utcnow

NEW = "/admin/assignment/new/"


def audit_of(db, assignment_id: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(
        AuditEntry.table_name == "quest_assignment", AuditEntry.record_id == str(assignment_id)
    )
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_shows_quest_classroom_dates_on_the_teacher_s_clock_and_status(
    client, db, school, login_as
):
    school.teacher.time_zone = "America/Chicago"
    school.assignment.due_at = datetime(2030, 3, 3, 5, 59, 30, tzinfo=UTC)
    db.session.commit()
    login_as(school.teacher)
    page = text_of(client.get("/admin/assignment/"))
    assert f'<th scope="row">{school.quest.title}</th>' in page
    assert f"<td>{school.classroom.name}</td>" in page
    # 05:59 UTC is 23:59 the evening before in Chicago; no seconds.
    assert "<td>Mar 2, 2030, 11:59\u202fPM</td>" in page
    assert "Due (America/Chicago)" in page
    assert "<td>Open</td>" in page


def test_the_status_filter_finds_upcoming_and_closed_assignments(client, db, school, login_as):
    school.assignment.opens_at = utcnow() + timedelta(days=2)
    school.assignment.due_at = utcnow() + timedelta(days=9)
    db.session.commit()
    login_as(school.teacher)
    upcoming = text_of(client.get("/admin/assignment/", query_string={"flt0_status": "upcoming"}))
    assert "<td>Upcoming</td>" in upcoming
    closed = text_of(client.get("/admin/assignment/", query_string={"flt0_status": "closed"}))
    assert "<caption>0 records</caption>" in closed


def test_the_form_offers_published_quests_and_only_own_classrooms(client, make, school, login_as):
    draft = make.quest(publish=False, author=school.teacher)
    login_as(school.teacher)
    page = text_of(client.get(NEW))
    # Published quests are shared: the other teacher's is offered too.
    assert school.other_quest.title in page
    assert f">{draft.title}<" not in page
    assert school.classroom.name in page
    assert school.other_classroom.name not in page
    # Dates are on the teacher's clock (the school's, UTC, when nothing else says), and the
    # form says which.
    assert 'type="datetime-local"' in page
    assert "Opens (UTC)" in page
    assert "Due (UTC)" in page


def test_a_teacher_assigns_a_published_quest_in_utc(client, db, make, school, login_as):
    quest = make.quest(author=school.other_teacher)
    login_as(school.teacher)
    data = {
        "quest": str(quest.id),
        "classroom": str(school.classroom.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T17:00",
    }
    assert post_form(client, NEW, data).status_code == 302
    assignment = db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest))
    assert assignment.classroom_id == school.classroom.id
    assert assignment.opens_at == datetime(2030, 3, 2, 8, 30, tzinfo=UTC)
    assert assignment.due_at == datetime(2030, 3, 16, 17, 0, tzinfo=UTC)
    entry = audit_of(db, assignment.id)[-1]
    assert (entry.action, entry.actor_id) == ("create", school.teacher.id)


def test_a_due_date_before_the_opening_is_shown_on_its_field(client, db, make, school, login_as):
    quest = make.quest()
    login_as(school.teacher)
    data = {
        "quest": str(quest.id),
        "classroom": str(school.classroom.id),
        "opens_at": "2030-03-16T08:30",
        "due_at": "2030-03-02T08:30",
    }
    response = post_form(client, NEW, data)
    assert response.status_code == 200
    page = text_of(response)
    assert '<p class="field-error" id="due_at-error">' in page
    assert "The due date must be after the opening date." in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest)) is None


def test_a_quest_is_assigned_once_per_classroom(client, db, school, login_as):
    login_as(school.teacher)
    data = {
        "quest": str(school.quest.id),
        "classroom": str(school.classroom.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T08:30",
    }
    page = text_of(post_form(client, NEW, data))
    assert '<p class="field-error" id="quest-error">' in page
    assert "This quest is already assigned to that classroom." in page


def test_another_teachers_classroom_is_not_a_choice(client, db, make, school, login_as):
    quest = make.quest()
    login_as(school.teacher)
    data = {
        "quest": str(quest.id),
        "classroom": str(school.other_classroom.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T08:30",
    }
    assert "Not a valid choice" in text_of(post_form(client, NEW, data))
    assert db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest)) is None


def test_moving_the_dates_is_audited(client, db, school, login_as):
    login_as(school.teacher)
    url = f"/admin/assignment/edit/?id={school.assignment.id}"
    page = text_of(client.get(url))
    # Only the dates can change; the form shows them on the teacher's clock, to the minute.
    assert 'name="quest"' not in page
    assert f'value="{school.assignment.due_at.strftime("%Y-%m-%dT%H:%M")}"' in page
    data = {"opens_at": "2030-01-01T08:00", "due_at": "2030-02-01T08:00"}
    assert post_form(client, url, data).status_code == 302
    db.session.expire_all()
    assert school.assignment.due_at == datetime(2030, 2, 1, 8, 0, tzinfo=UTC)
    entry = audit_of(db, school.assignment.id)[-1]
    assert (entry.action, entry.actor_id) == ("update", school.teacher.id)


def test_moving_the_due_date_before_the_opening_changes_nothing(client, db, school, login_as):
    before = school.assignment.due_at
    login_as(school.teacher)
    url = f"/admin/assignment/edit/?id={school.assignment.id}"
    data = {"opens_at": "2030-02-01T08:00", "due_at": "2030-01-01T08:00"}
    page = text_of(post_form(client, url, data))
    assert '<p class="field-error" id="due_at-error">' in page
    db.session.expire_all()
    assert school.assignment.due_at == before


def test_a_quest_the_students_attempted_is_not_taken_back(client, db, school, login_as):
    login_as(school.teacher)
    response = post_form(
        client,
        "/admin/assignment/delete/",
        {"id": str(school.assignment.id)},
        form_page=f"/admin/assignment/details/?id={school.assignment.id}",
        follow_redirects=True,
    )
    assert "have already attempted this quest" in text_of(response)
    assert db.session.get(QuestAssignment, school.assignment.id) is not None


def test_a_quest_nobody_attempted_is_taken_back(client, db, make, school, login_as):
    assignment = make.assignment(quest=make.quest(), classroom=school.classroom)
    assignment_id = assignment.id
    login_as(school.teacher)
    response = post_form(
        client,
        "/admin/assignment/delete/",
        {"id": str(assignment_id)},
        form_page=f"/admin/assignment/details/?id={assignment_id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(QuestAssignment, assignment_id) is None
    assert audit_of(db, assignment_id)[-1].action == "delete"


def test_assignments_are_not_deleted_in_bulk(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get("/admin/assignment/"))
    assert 'name="rowid"' not in page
    assert "/admin/assignment/action/" not in page


def test_the_list_sorts_by_quest_classroom_and_dates(client, make, school, login_as):
    make.assignment(quest=make.quest(), classroom=school.classroom)
    login_as(school.teacher)
    for column in range(4):
        for desc in ("", "1"):
            response = client.get("/admin/assignment/", query_string={"sort": column, "desc": desc})
            assert response.status_code == 200
            assert "<caption>2 records</caption>" in text_of(response)


# Time zones: the teacher enters times on their own clock; the database keeps UTC.


def assignment_data(quest, classroom, **dates: str) -> dict[str, str]:
    return {
        "quest": str(quest.id),
        "classroom": str(classroom.id),
        "opens_at": "2030-03-02T08:30",
        "due_at": "2030-03-16T17:00",
        **dates,
    }


def test_a_teacher_in_chicago_enters_local_times_kept_in_utc(client, db, make, school, login_as):
    school.teacher.time_zone = "America/Chicago"
    db.session.commit()
    quest = make.quest()
    login_as(school.teacher)
    page = text_of(client.get(NEW))
    assert "Opens (America/Chicago)" in page
    data = assignment_data(quest, school.classroom, due_at="2030-03-02T23:59")
    data["opens_at"] = "2030-03-01T08:00"
    assert post_form(client, NEW, data).status_code == 302
    assignment = db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest))
    # 23:59 in Chicago (UTC-6 in winter) is 05:59 UTC the next day.
    assert assignment.due_at == datetime(2030, 3, 3, 5, 59, tzinfo=UTC)
    assert assignment.opens_at == datetime(2030, 3, 1, 14, 0, tzinfo=UTC)
    edit = text_of(client.get(f"/admin/assignment/edit/?id={assignment.id}"))
    assert 'value="2030-03-02T23:59"' in edit


def test_a_time_the_clocks_skip_is_refused_with_a_message(client, db, make, school, login_as):
    school.teacher.time_zone = "America/Chicago"
    db.session.commit()
    quest = make.quest()
    login_as(school.teacher)
    # Clocks in Chicago jump from 02:00 to 03:00 on 10 March 2030.
    data = assignment_data(quest, school.classroom, opens_at="2030-03-10T02:30")
    response = post_form(client, NEW, data)
    page = text_of(response)
    assert response.status_code == 200
    assert '<p class="field-error" id="opens_at-error">' in page
    assert "2:30\u202fAM does not exist on March 10, 2030 in America/Chicago" in page
    assert db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest)) is None


def test_a_time_that_happens_twice_is_the_first_of_the_two(client, db, make, school, login_as):
    school.teacher.time_zone = "America/Chicago"
    db.session.commit()
    quest = make.quest()
    login_as(school.teacher)
    # Clocks in Chicago fall back from 02:00 to 01:00 on 3 November 2030: 01:30 happens twice.
    data = assignment_data(
        quest, school.classroom, opens_at="2030-11-03T01:30", due_at="2030-11-10T17:00"
    )
    assert post_form(client, NEW, data).status_code == 302
    assignment = db.session.scalar(select(QuestAssignment).where(QuestAssignment.quest == quest))
    # The first 01:30 is still on daylight time (UTC-5).
    assert assignment.opens_at == datetime(2030, 11, 3, 6, 30, tzinfo=UTC)


def test_a_new_assignment_opens_now_by_default(client, db, school, login_as, monkeypatch):
    monkeypatch.setattr(
        "quest_platform.time_zones.utcnow", lambda: datetime(2030, 3, 2, 20, 5, 42, tzinfo=UTC)
    )
    school.teacher.time_zone = "Europe/Madrid"
    db.session.commit()
    login_as(school.teacher)
    page = text_of(client.get(NEW))
    # 20:05 UTC is 21:05 in Madrid, to the minute.
    assert 'name="opens_at" required type="datetime-local" value="2030-03-02T21:05"' in page


def test_the_form_opens_with_the_classroom_named_in_the_address(client, make, school, login_as):
    second = make.classroom(teachers=[school.teacher])
    login_as(school.teacher)
    page = text_of(client.get(f"{NEW}?classroom={second.id}"))
    assert f'<option selected value="{second.id}">' in page
    # Someone else's classroom is not offered, so it cannot be chosen either.
    page = text_of(client.get(f"{NEW}?classroom={school.other_classroom.id}"))
    choices = page.split('name="classroom"')[1].split("</select>")[0]
    assert f'value="{school.other_classroom.id}"' not in choices
