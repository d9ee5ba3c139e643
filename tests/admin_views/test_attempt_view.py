"""The attempts view: a read-only, paged list with filters, and reviews from the details page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import csrf_token, post_form, shown_moment
from sqlalchemy import event, func, select

from admin_views.attempts import AttemptView
from quest_platform.labels import OUTCOME_LABELS
from quest_platform.models import Attempt, Enrollment, Outcome, Review, utcnow
from quest_platform.services.reviews import review_attempt

LIST = "/admin/attempt/"


def text_of(response) -> str:
    return response.get_data(as_text=True)


def details(attempt) -> str:
    return f"/admin/attempt/details/?id={attempt.id}"


def review(client, attempt, **data):
    return post_form(
        client, f"/admin/attempt/review/?id={attempt.id}", data, form_page=details(attempt)
    )


def review_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Review))


def statements_during(db, call) -> list[str]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


# The list


def test_the_list_shows_each_attempt_and_its_result_in_words(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    attempt = school.attempt
    assert f'<th scope="row">{shown_moment(attempt.submitted_at)}</th>' in page
    assert f"<td>{school.student.display_name}</td>" in page
    assert f"<td>{school.quest.title}</td>" in page
    assert "<td>3. Show your login</td>" in page
    assert "<td>Awaiting review</td>" in page
    assert "<td>— / 10</td>" in page
    assert "<td>No</td>" in page


def test_the_list_shows_the_latest_reviews_result(client, school, login_as):
    review_attempt(attempt=school.attempt, score=7, outcome="passed", reason="", by=school.teacher)
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert "<td>Passed</td>" in page
    assert "<td>7 / 10</td>" in page
    assert "<td>Marked</td>" in page


def test_the_newest_attempt_comes_first(client, make, school, login_as):
    older = make.attempt(
        student=school.student,
        quest=school.quest,
        position=2,
        outcome="passed",
        score=9,
        submitted_at=utcnow() - timedelta(days=2),
    )
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert page.index("3. Show your login") < page.index("2. Sessions quiz")
    assert older.stage.title == "Sessions quiz"


def test_waiting_checkpoints_are_a_filter(client, make, school, login_as):
    make.attempt(student=school.student, quest=school.quest, position=2, outcome="passed", score=9)
    login_as(school.teacher)
    query = {"flt0_classroom": str(school.classroom.id), "flt1_outcome": "pending_review"}
    page = text_of(client.get(LIST, query_string=query))
    assert "<caption>1 record</caption>" in page
    assert "3. Show your login" in page
    assert "2. Sessions quiz" not in page


def test_a_reviewed_checkpoint_no_longer_waits_and_filters_by_its_new_outcome(
    client, school, login_as
):
    review_attempt(attempt=school.attempt, score=2, outcome="failed", reason="", by=school.teacher)
    login_as(school.teacher)
    waiting = text_of(client.get(LIST, query_string={"flt0_outcome": "pending_review"}))
    assert "<caption>0 records</caption>" in waiting
    failed = text_of(client.get(LIST, query_string={"flt0_outcome": "failed"}))
    assert "3. Show your login" in failed


def test_a_failed_attempt_reads_as_students_read_it(client, make, school, login_as):
    """One wording for an outcome, the kinder one, in the portal and the admin alike."""
    quiz = make.attempt(
        student=school.student, quest=school.quest, position=2, outcome="failed", score=1
    )
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert f"<td>{OUTCOME_LABELS[Outcome.FAILED]}</td>" == "<td>Not passed</td>"
    assert "<td>Not passed</td>" in page
    assert ">Not passed</option>" in page
    assert "Failed" not in page
    review_form = text_of(client.get(details(quiz)))
    assert "Not passed" in review_form
    assert "Failed" not in review_form


def test_the_quest_kind_and_date_filters(client, make, school, login_as):
    make.attempt(
        student=school.student,
        quest=school.quest,
        position=2,
        outcome="passed",
        score=9,
        submitted_at=utcnow() - timedelta(days=10),
    )
    login_as(school.teacher)

    def shown(**query: str) -> set[str]:
        page = text_of(client.get(LIST, query_string=query))
        return {title for title in ("3. Show your login", "2. Sessions quiz") if title in page}

    assert shown(flt0_quest=str(school.quest.id)) == {"3. Show your login", "2. Sessions quiz"}
    assert shown(flt0_kind="quiz") == {"2. Sessions quiz"}
    assert shown(flt0_date="7") == {"3. Show your login"}
    assert shown(flt0_date="30") == {"3. Show your login", "2. Sessions quiz"}
    assert shown(flt0_date="today") == {"3. Show your login"}


def test_the_filter_choices_name_only_what_the_teacher_may_see(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert f">{school.quest.title}</option>" in page
    assert f">{school.other_quest.title}</option>" not in page
    assert school.other_classroom.name not in page


def test_search_finds_a_student_by_username_or_name(client, db, make, school, login_as):
    classmate = make.student()
    classmate.display_name = "Rosa Parks"
    db.session.add(Enrollment(classroom=school.classroom, student=classmate))
    make.attempt(student=classmate, quest=school.quest, position=2, outcome="passed", score=9)
    login_as(school.teacher)
    for term in (classmate.username, "rosa", "Rosa Pa"):
        page = text_of(client.get(LIST, query_string={"search": term}))
        assert "<caption>1 record</caption>" in page, term
        assert "<td>Rosa Parks</td>" in page
    page = text_of(client.get(LIST, query_string={"search": school.student.username}))
    assert "<td>Rosa Parks</td>" not in page


def test_the_list_pages_without_counting(client, db, make, school, login_as):
    # 50 on a page: with 51 attempts there is a second page of one.
    for _ in range(50):
        make.attempt(
            student=school.student, quest=school.quest, position=1, outcome="passed", score=10
        )
    login_as(school.teacher)
    statements = statements_during(db, lambda: client.get(LIST))
    counts = [s for s in statements if "count(" in s.lower() and "FROM attempt" in s]
    # The navigation's count of unread messages (docs/feedback.md) counts messages only.
    assert not [s for s in counts if "attempt_message" not in s]
    # Half the school's students are this teacher's: the list walks the history, newest first.
    listed = next(s for s in statements if "FROM attempt" in s and "LIMIT" in s)
    assert "attempt.student_id IN" not in listed
    first = text_of(client.get(LIST))
    assert "<caption>50 records on page 1</caption>" in first
    assert "<span>Page 1</span>" in first
    assert 'rel="next"' in first
    assert 'rel="prev"' not in first
    second = text_of(client.get(LIST, query_string={"page": "1"}))
    # The last page is not full: now the total is known.
    assert "<caption>51 records</caption>" in second
    assert "<span>Page 2</span>" in second
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second


def test_a_longer_page_costs_no_more_queries(client, db, make, school, login_as):
    login_as(school.teacher)
    few = len(statements_during(db, lambda: client.get(LIST)))
    for position in (1, 2, 4, 5, 6):
        attempt = make.attempt(
            student=school.student, quest=school.quest, position=position, outcome="passed", score=5
        )
        review_attempt(attempt=attempt, score=6, outcome="failed", reason="Re.", by=school.teacher)
    assert len(statements_during(db, lambda: client.get(LIST))) == few


# The details page


def test_the_details_show_the_answer_timing_and_a_marking_form(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(details(school.attempt)))
    assert "My login route hashes passwords." in page
    assert "Time taken" in page
    assert "12 min 0 s" in page
    assert "Not reviewed yet." in page
    assert "Mark this checkpoint" in page
    assert "Feedback for the student (optional)" in page
    assert f'action="/admin/attempt/review/?id={school.attempt.id}' in page


def test_answers_are_escaped(client, make, school, login_as):
    attempt = make.attempt(
        student=school.student,
        quest=school.quest,
        answer={"evidence": {"code": "<script>alert('x')</script>", "notes": "<b>bold</b>"}},
    )
    login_as(school.teacher)
    page = text_of(client.get(details(attempt)))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_quiz_answers_are_shown_per_question(client, make, school, login_as):
    attempt = make.attempt(
        student=school.student,
        quest=school.quest,
        position=2,
        outcome="passed",
        score=10,
        answer={"answers": {"q1": [1]}},
    )
    login_as(school.teacher)
    page = text_of(client.get(details(attempt)))
    assert "Question 1: Where is session data kept?" in page
    assert '<dd><span class="answer-text">Server</span></dd>' in page
    assert "Change the result" in page
    assert "Reason for the change (required)" in page


def test_marking_a_checkpoint_saves_the_review_and_shows_it(client, db, school, login_as):
    login_as(school.teacher)
    response = review(client, school.attempt, score="8.5", outcome="passed", reason="Tidy code.")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(details(school.attempt))
    page = text_of(client.get(response.headers["Location"]))
    assert "The review is saved." in page
    assert "<td>Marked</td>" in page
    assert f"<td>{school.teacher.display_name}</td>" in page
    assert "Tidy code." in page
    db.session.expire_all()
    assert school.attempt.result == (8.5, Outcome.PASSED)


def test_an_override_without_a_reason_is_refused_and_saves_nothing(client, db, school, login_as):
    review_attempt(attempt=school.attempt, score=8, outcome="passed", reason="", by=school.teacher)
    login_as(school.teacher)
    response = review(client, school.attempt, score="3", outcome="failed", reason="")
    assert response.status_code == 422
    page = text_of(response)
    assert '<p class="field-error" id="reason-error">' in page
    assert "Say why the score changes" in page
    # What was typed comes back.
    assert 'value="3"' in page
    assert review_count(db) == 1
    db.session.expire_all()
    assert school.attempt.result == (8, Outcome.PASSED)


def test_a_score_above_the_maximum_is_refused_on_its_field(client, db, school, login_as):
    login_as(school.teacher)
    response = review(client, school.attempt, score="11", outcome="passed", reason="")
    assert response.status_code == 422
    assert '<p class="field-error" id="score-error">' in text_of(response)
    assert "Give a score between 0 and 10." in text_of(response)
    assert review_count(db) == 0


def test_a_review_needs_a_score_and_an_outcome(client, db, school, login_as):
    login_as(school.teacher)
    response = review(client, school.attempt, reason="No score.")
    assert response.status_code == 422
    page = text_of(response)
    assert '<p class="field-error" id="score-error">' in page
    assert 'id="outcome-error"' in page
    assert review_count(db) == 0


def test_a_review_without_a_csrf_token_is_refused(client, db, school, login_as):
    login_as(school.teacher)
    url = f"/admin/attempt/review/?id={school.attempt.id}"
    response = client.post(url, data={"score": "5", "outcome": "passed"})
    assert response.status_code == 400
    assert review_count(db) == 0


def test_another_teachers_attempt_is_not_found_for_review(client, db, school, login_as):
    login_as(school.teacher)
    token = csrf_token(client, LIST)
    url = f"/admin/attempt/review/?id={school.other_attempt.id}"
    response = client.post(url, data={"score": "5", "outcome": "passed", "csrf_token": token})
    assert response.status_code == 404
    assert review_count(db) == 0


def test_attempts_are_never_created_edited_or_deleted_here(client, db, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(LIST))
    assert "/admin/attempt/new/" not in page
    assert "/admin/attempt/edit/" not in page
    response = post_form(
        client, "/admin/attempt/delete/", {"id": str(school.attempt.id)}, form_page=LIST
    )
    assert response.status_code == 302
    assert db.session.get(Attempt, school.attempt.id) is not None


def test_a_teacher_of_few_students_in_a_big_school_sees_just_theirs(
    client, db, make, school, login_as
):
    """With a twentieth of the school's enrollments or fewer, the query names the students."""
    crowd = make.classroom(students=[make.student() for _ in range(20)])
    make.assignment(quest=school.other_quest, classroom=crowd)
    for student in crowd.enrollments[:3]:
        make.attempt(student=student.student, quest=school.other_quest)
    login_as(school.teacher)
    statements = statements_during(db, lambda: client.get(LIST))
    listed = next(s for s in statements if "FROM attempt" in s and "LIMIT" in s)
    assert "attempt.student_id IN" in listed
    page = text_of(client.get(LIST))
    assert "<caption>1 record</caption>" in page
    assert f"<td>{school.student.display_name}</td>" in page
    waiting = text_of(client.get(LIST, query_string={"flt0_outcome": "pending_review"}))
    assert "<caption>1 record</caption>" in waiting
    assert client.get(details(school.other_attempt)).status_code == 404


def test_an_export_holds_the_newest_attempts_up_to_a_limit_and_says_so(
    client, make, school, login_as, monkeypatch
):
    monkeypatch.setattr(AttemptView, "export_max_rows", 1)
    older = make.attempt(
        student=school.student,
        quest=school.quest,
        position=2,
        outcome="passed",
        score=9,
        submitted_at=utcnow() - timedelta(days=1),
    )
    login_as(school.teacher)
    assert "Download as CSV (newest 1)" in text_of(client.get(LIST))
    exported = text_of(client.get(f"{LIST}export/csv/"))
    assert "Show your login" in exported
    assert older.stage.title not in exported


# Reviewing a checkpoint: what it asks beside the evidence, agreeing scores, one after another


def test_the_review_page_shows_the_prompt_and_rubric_beside_highlighted_code(
    client, make, school, login_as
):
    attempt = make.attempt(
        student=school.student,
        quest=school.quest,
        answer={"evidence": "def login():\n    return redirect('/')"},
    )
    login_as(school.teacher)
    page = text_of(client.get(details(attempt)))
    assert "What the stage asks" in page
    assert "Paste your login route." in page
    assert "<li>Hashes passwords</li>" in page
    code_block = '<pre class="answer-code highlight" tabindex="0"><code>'
    assert code_block + '<span class="k">def</span>' in page
    assert '<span class="nf">login</span>' in page


def test_the_screenshot_flag_of_an_answer_is_not_shown_as_a_raw_row(client, make, school, login_as):
    attempt = make.attempt(
        student=school.student,
        quest=school.quest,
        answer={"evidence": "def login():\n    return redirect('/')", "screenshot": False},
    )
    login_as(school.teacher)
    page = text_of(client.get(details(attempt)))
    assert ">screenshot<" not in page


def test_notes_that_are_not_code_stay_plain_text_in_the_code_block(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(details(school.attempt)))
    expected = (
        '<pre class="answer-code highlight" tabindex="0"><code>'
        "My login route hashes passwords.</code>"
    )
    assert expected in page


def test_the_score_field_states_the_pass_mark(client, school, login_as):
    login_as(school.teacher)
    page = text_of(client.get(details(school.attempt)))
    assert "Between 0 and 10 points; 7 or more passes." in page


@pytest.mark.parametrize(
    ("score", "outcome", "message"),
    [
        ("0", "passed", "A pass needs at least 7 of 10 points"),
        ("6.5", "passed", "A pass needs at least 7 of 10 points"),
        ("10", "failed", "10 of 10 points is a pass (the pass mark is 7)"),
    ],
)
def test_a_score_and_outcome_that_contradict_each_other_are_refused(
    client, db, school, login_as, score, outcome, message
):
    login_as(school.teacher)
    response = review(client, school.attempt, score=score, outcome=outcome, reason="")
    assert response.status_code == 422
    page = text_of(response)
    assert message in page
    assert 'id="outcome-error"' in page
    assert review_count(db) == 0


def waiting_checkpoints(db, make, school, count: int) -> list[Attempt]:
    """``count`` more checkpoints waiting in the teacher's class, by new classmates, handed in
    an hour apart, oldest first (the school's own waiting one is newer than all of them)."""
    start = utcnow() - timedelta(hours=count + 1)
    attempts = []
    for hour in range(count):
        student = make.student()
        db.session.add(Enrollment(classroom=school.classroom, student=student))
        db.session.commit()
        submitted = start + timedelta(hours=hour)
        attempts.append(make.attempt(student=student, quest=school.quest, submitted_at=submitted))
    return attempts


def test_save_and_next_opens_the_checkpoint_that_waited_longest(client, db, school, make, login_as):
    oldest, middle = waiting_checkpoints(db, make, school, 2)
    login_as(school.teacher)
    # Reviewing the newest first: the next is the oldest still waiting, then the next oldest.
    response = review(client, school.attempt, score="8", outcome="passed", then="next")
    assert response.status_code == 302
    assert f"/admin/attempt/details/?id={oldest.id}" in response.headers["Location"]
    response = review(client, oldest, score="3", outcome="failed", then="next")
    assert f"/admin/attempt/details/?id={middle.id}" in response.headers["Location"]


def test_save_and_next_never_leaves_the_teachers_classes(client, school, login_as):
    # The other classroom's checkpoint still waits, but it is not this teacher's to review.
    login_as(school.teacher)
    response = review(client, school.attempt, score="8", outcome="passed", then="next")
    assert response.headers["Location"].startswith(details(school.attempt))
    page = text_of(client.get(response.headers["Location"]))
    assert "The review is saved." in page
    assert "No other checkpoint is waiting for your review." in page


def test_save_the_review_stays_on_the_attempt(client, db, make, school, login_as):
    waiting_checkpoints(db, make, school, 1)
    login_as(school.teacher)
    response = review(client, school.attempt, score="8", outcome="passed")
    assert response.headers["Location"].startswith(details(school.attempt))
    assert "No other checkpoint" not in text_of(client.get(response.headers["Location"]))
