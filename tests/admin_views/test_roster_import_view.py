"""Importing a roster in the admin: upload, preview (writes nothing), import, sign-in sheet, CSV."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from flask_security import verify_password
from helpers import csrf_token, is_site_page, post_form
from sqlalchemy import func, select

from quest_platform.models import AuditEntry, Enrollment, User

URL = "/admin/roster-import/"
ROSTER = (
    "first name,last name,username,email\n"
    "Ana,Lee,ana.lee,ana.lee@example.org\n"
    "José,Muñoz,jose.munoz,\n"
)


def upload(client, classroom_id, data: bytes, filename: str = "roster.csv"):
    """Send a file to the preview, as the upload form does."""
    fields = {"classroom": str(classroom_id), "roster_file": (io.BytesIO(data), filename)}
    return post_form(client, f"{URL}preview", fields, form_page=URL)


def send_import(client, classroom_id, roster: str):
    """Send a roster to the import, as the preview's form does."""
    fields = {"classroom": str(classroom_id), "roster": roster}
    return post_form(client, f"{URL}import", fields, form_page=URL)


def hidden_roster(response) -> str:
    """The roster text that a preview's import form sends back."""
    match = re.search(
        r'<input[^>]*name="roster"[^>]*value="([^"]*)"', response.get_data(as_text=True)
    )
    assert match, "the preview offers no import"
    return html.unescape(match.group(1))


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Enrollment, AuditEntry)
    )


def sheet_credentials(response) -> list[tuple[str, str]]:
    """(username, one-time password) of each card on the credentials sheet."""
    codes = re.findall(r"<code>([^<]+)</code>", response.get_data(as_text=True))
    return list(zip(codes[::2], codes[1::2], strict=True))


@pytest.fixture
def teacher_client(client, school, login_as):
    return login_as(school.teacher)


# The upload form


def test_the_form_offers_only_the_teachers_classrooms(teacher_client, school):
    response = teacher_client.get(URL)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<option value="{school.classroom.id}">' in text
    assert school.other_classroom.name not in text
    assert 'enctype="multipart/form-data"' in text
    for layout in ("first name, last name, username, email", "Email Address", "SIS Login ID"):
        assert layout in text


def test_an_admin_is_offered_every_classroom(client, school, login_as):
    login_as(school.admin)
    text = client.get(URL).get_data(as_text=True)
    assert school.classroom.name in text
    assert school.other_classroom.name in text


def test_a_teacher_without_classrooms_is_told_so(client, make, login_as):
    login_as(make.teacher())
    text = client.get(URL).get_data(as_text=True)
    assert "You do not teach any classroom yet" in text
    assert 'type="file"' not in text


# The preview


def test_the_preview_shows_every_row_and_writes_nothing(db, teacher_client, school):
    before = counts(db)
    response = upload(teacher_client, school.classroom.id, ROSTER.encode("cp1252"))

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 new students, 0 errors" in text
    assert "José Muñoz" in text
    assert "ana.lee@example.org" in text
    assert "Import 2 students into" in text
    assert hidden_roster(response) == ROSTER
    db.session.expire_all()
    assert counts(db) == before


def test_a_preview_with_row_errors_offers_no_import(db, teacher_client, school):
    roster = ROSTER + f"Cy,Ng,{school.other_student.username},\n"
    response = upload(teacher_client, school.classroom.id, roster.encode())

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 new students, 1 error" in text
    assert 'href="#line-4"' in text
    assert f"error: username “{school.other_student.username}” is already taken" in text
    assert 'name="roster"' not in text
    assert "Upload a corrected file" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"first name,last name,username\n", "The file has a header row but no students."),
        (b"name,class\n", "The first row is not a header row this import knows."),
        (b"", "The file is empty."),
    ],
    ids=["header-only", "unknown-header", "empty"],
)
def test_a_file_that_cannot_be_read_is_explained_on_the_form(teacher_client, school, data, message):
    response = upload(teacher_client, school.classroom.id, data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in text
    assert 'aria-invalid="true"' in text
    assert 'type="file"' in text


def test_a_missing_file_is_asked_for(teacher_client, school):
    token = csrf_token(teacher_client, URL)
    response = teacher_client.post(
        f"{URL}preview", data={"classroom": str(school.classroom.id), "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Choose a CSV file to upload." in response.get_data(as_text=True)


def test_a_file_over_the_limit_is_refused_with_413(db, teacher_client, school):
    before = counts(db)
    response = upload(teacher_client, school.classroom.id, ROSTER.encode() + b"x" * 300_000)
    assert response.status_code == 413
    assert "The file is larger than 256 KB." in response.get_data(as_text=True)
    assert counts(db) == before


def test_a_request_over_the_platform_limit_gets_the_site_error_page(teacher_client, school):
    # Encoded by hand: the test client would spool a body this large to a file it never closes.
    boundary = "roster-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{csrf_token(teacher_client, URL)}\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="roster_file"; filename="roster.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"x" * (6 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = teacher_client.post(
        f"{URL}preview", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 413
    assert is_site_page(text)
    assert "That was too large" in text


# Importing


def test_the_import_creates_and_enrolls_the_students(db, teacher_client, school):
    roster = hidden_roster(upload(teacher_client, school.classroom.id, ROSTER.encode()))
    response = send_import(teacher_client, school.classroom.id, roster)

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "2 students were created and enrolled in" in text
    assert "José Muñoz" in text
    assert "/login" in text
    shown = sheet_credentials(response)
    assert [username for username, _ in shown] == ["ana.lee", "jose.munoz"]
    for username, password in shown:
        student = db.session.scalar(select(User).where(User.username == username))
        assert verify_password(password, student.password)
        assert student.must_change_password
        assert [e.classroom_id for e in student.enrollments] == [school.classroom.id]
        assert student.password not in text
    assert "$argon2" not in text


def test_a_tampered_roster_is_checked_again_and_nothing_is_written(db, teacher_client, school):
    roster = hidden_roster(upload(teacher_client, school.classroom.id, ROSTER.encode()))
    tampered = roster + f"Eve,Ng,{school.teacher.username},\n"
    before = counts(db)

    response = send_import(teacher_client, school.classroom.id, tampered)

    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in text
    assert f"username “{school.teacher.username}” is already taken" in text
    db.session.expire_all()
    assert counts(db) == before


def test_a_roster_that_became_invalid_since_the_preview_is_refused(
    db, teacher_client, school, make
):
    roster = hidden_roster(upload(teacher_client, school.classroom.id, ROSTER.encode()))
    make.student(username="ana.lee")
    before = counts(db)

    response = send_import(teacher_client, school.classroom.id, roster)

    assert response.status_code == 422
    assert "username “ana.lee” is already taken" in response.get_data(as_text=True)
    db.session.expire_all()
    assert counts(db) == before


def test_an_unreadable_roster_sent_to_the_import_is_refused(db, teacher_client, school):
    response = send_import(teacher_client, school.classroom.id, "first name,last name,username\n")
    assert response.status_code == 422
    assert "The file has a header row but no students." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields",
    [{"classroom": "1"}, {"roster": "x"}, {"classroom": "one", "roster": "x"}],
    ids=["no-roster", "no-classroom", "classroom-not-a-number"],
)
def test_a_malformed_import_request_is_a_bad_request(teacher_client, fields):
    response = post_form(teacher_client, f"{URL}import", fields, form_page=URL)
    assert response.status_code == 400
    assert is_site_page(response.get_data(as_text=True))


# Someone else's classroom


def test_another_teachers_classroom_is_refused(db, client, school, login_as):
    login_as(school.other_teacher)
    before = counts(db)
    assert upload(client, school.classroom.id, ROSTER.encode()).status_code == 403
    assert send_import(client, school.classroom.id, ROSTER).status_code == 403
    db.session.expire_all()
    assert counts(db) == before


def test_a_missing_classroom_is_not_found(teacher_client):
    assert upload(teacher_client, 999_999, ROSTER.encode()).status_code == 404
    assert send_import(teacher_client, 999_999, ROSTER).status_code == 404


def test_a_classroom_id_beyond_any_table_is_not_found(teacher_client):
    beyond = 10**23
    assert upload(teacher_client, beyond, ROSTER.encode()).status_code == 404
    assert send_import(teacher_client, beyond, ROSTER).status_code == 404


# The sign-ins as CSV


def download(client, credentials: list[tuple[str, str, str]]):
    fields = {}
    for index, (name, username, password) in enumerate(credentials):
        fields |= {
            f"credentials-{index}-display_name": name,
            f"credentials-{index}-username": username,
            f"credentials-{index}-password": password,
        }
    return post_form(client, f"{URL}credentials.csv", fields, form_page=URL)


def test_the_sheet_downloads_as_csv_from_its_own_form(db, teacher_client, school):
    roster = hidden_roster(upload(teacher_client, school.classroom.id, ROSTER.encode()))
    sheet = send_import(teacher_client, school.classroom.id, roster)
    shown = sheet_credentials(sheet)
    fields = dict(
        re.findall(r'name="(credentials-\d+-\w+)" type="hidden" value="([^"]*)"', sheet.text)
    )
    assert len(fields) == 6

    response = post_form(teacher_client, f"{URL}credentials.csv", fields, form_page=URL)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="roster-sign-ins.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["Name", "Username", "One-time password", "Sign-in address"]
    assert [(row[1], row[2]) for row in rows[1:]] == shown
    assert rows[1][0] == "Ana Lee"
    assert rows[1][3] == "http://localhost/login"
    assert "$argon2" not in text


def test_the_csv_defuses_spreadsheet_formulas(teacher_client):
    response = download(teacher_client, [("=1+1", "ana.lee", "abcd-efgh-jkmn")])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[1][0] == "'=1+1"


@pytest.mark.parametrize(
    "credentials",
    [[], [("Ana Lee", "", "abcd-efgh-jkmn")], [("Ana Lee", "ana.lee", "x" * 65)]],
    ids=["none", "no-username", "too-long"],
)
def test_a_malformed_download_is_a_bad_request(teacher_client, credentials):
    assert download(teacher_client, credentials).status_code == 400


def test_no_page_of_the_import_shows_a_password_hash(db, teacher_client, school):
    preview = upload(teacher_client, school.classroom.id, ROSTER.encode())
    sheet = send_import(teacher_client, school.classroom.id, hidden_roster(preview))
    bad = upload(teacher_client, school.classroom.id, ROSTER.encode())
    hashes = [user.password for user in db.session.scalars(select(User))]
    for page in (teacher_client.get(URL), preview, sheet, bad):
        text = page.get_data(as_text=True)
        assert "$argon2" not in text
        assert not any(password_hash in text for password_hash in hashes)


def test_a_roster_at_both_limits_goes_through_the_preview_and_the_import(
    db, teacher_client, school
):
    # 500 students with long names and addresses: the text the preview sends back still fits.
    rows = "".join(
        f"{'Maximiliano' * 3}{n},{'Fernández' * 4},student.{n:03d}.{'x' * 25},"
        f"{'a' * 60}.{n}@{'school-district.' * 5}example.org\n"
        for n in range(500)
    )
    roster = "first name,last name,username,email\n" + rows
    assert len(roster.encode()) > 128 * 1024

    preview = upload(teacher_client, school.classroom.id, roster.encode("cp1252"))
    assert "500 new students, 0 errors" in preview.get_data(as_text=True)
    response = send_import(teacher_client, school.classroom.id, hidden_roster(preview))

    assert response.status_code == 200
    assert len(sheet_credentials(response)) == 500


def test_the_classroom_named_in_the_address_is_chosen(client, make, login_as):
    teacher = make.teacher()
    first, second = make.classroom(teachers=[teacher]), make.classroom(teachers=[teacher])
    login_as(teacher)
    page = client.get(f"{URL}?classroom={second.id}").get_data(as_text=True)
    assert f'<option selected value="{second.id}">' in page
    assert f'<option value="{first.id}">' in page


def test_a_classroom_the_teacher_does_not_manage_is_not_chosen(client, school, login_as):
    login_as(school.teacher)
    page = client.get(f"{URL}?classroom={school.other_classroom.id}").get_data(as_text=True)
    assert f'value="{school.other_classroom.id}"' not in page
    assert "<option selected" not in page
