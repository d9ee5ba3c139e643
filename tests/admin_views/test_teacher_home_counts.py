"""The teacher home's counts per classroom: checkpoints to review, inactive students, gradebook."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from sqlalchemy import event

from quest_platform.models import Enrollment, utcnow
from quest_platform.services.reviews import review_attempt


def text_of(response) -> str:
    return response.get_data(as_text=True)


def section_of(page: str, classroom) -> str:
    """The part of the teacher home about one classroom."""
    start = page.index(f'aria-labelledby="classroom-{classroom.id}"')
    return page[start : page.index("</section>", start)]


def test_waiting_checkpoints_link_to_the_filtered_attempts(client, make, school, login_as):
    make.attempt(student=school.student, quest=school.quest)
    login_as(school.teacher)
    section = section_of(text_of(client.get("/admin/")), school.classroom)
    assert "Checkpoints awaiting review" in section
    link = unescape(section.split('<a href="')[1].split('"')[0])
    assert link == (
        f"/admin/attempt/?flt0_classroom={school.classroom.id}&flt1_outcome=pending_review"
    )
    assert "2 to review" in section
    listed = text_of(client.get(link))
    assert "<caption>2 records</caption>" in listed


def test_a_classroom_with_nothing_to_review_says_none(client, school, login_as):
    review_attempt(attempt=school.attempt, score=5, outcome="failed", reason="", by=school.teacher)
    login_as(school.teacher)
    section = section_of(text_of(client.get("/admin/")), school.classroom)
    assert "None" in section
    assert "to review" not in section


def test_inactive_students_have_no_attempt_in_seven_days_and_the_page_says_so(
    client, db, make, school, login_as
):
    quiet, gone = make.student(), make.student()
    for student in (quiet, gone):
        db.session.add(Enrollment(classroom=school.classroom, student=student))
    db.session.commit()
    make.attempt(student=gone, quest=school.quest, submitted_at=utcnow() - timedelta(days=9))
    login_as(school.teacher)
    section = section_of(text_of(client.get("/admin/")), school.classroom)
    assert "2 with no attempt in the last 7 days" in section


def test_each_classroom_links_to_its_gradebook(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get("/admin/"))
    section = section_of(page, school.classroom)
    assert f'href="/admin/classroom/{school.classroom.id}/gradebook.csv"' in section
    assert f"/admin/classroom/{school.other_classroom.id}/gradebook.csv" not in page


def test_the_home_counts_cost_the_same_for_more_classrooms(client, db, make, school, login_as):
    def statements_for_home() -> int:
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(home).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        # The navigation's count of unread messages (docs/feedback.md) is not one of the home's.
        return len([s for s in statements if " attempt" in s and "attempt_message" not in s])

    login_as(school.teacher)
    # The dashboard reads its stored charts, not the attempts: what is left is the counts
    # (checkpoints to review, inactive students) and when the roster was last seen.
    home = f"/admin/?classroom={school.classroom.id}"
    few = statements_for_home()
    for _ in range(3):
        classroom = make.classroom(teachers=[school.teacher], students=[make.student()])
        make.assignment(quest=school.quest, classroom=classroom)
    assert statements_for_home() == few == 3
