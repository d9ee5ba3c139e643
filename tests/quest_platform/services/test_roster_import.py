"""Roster import: reading three layouts, checking every row, importing all or nothing."""

from __future__ import annotations

import csv
import io

import pytest
from flask_security import verify_password
from sqlalchemy import func, select

from quest_platform.models import AuditEntry, Enrollment, User
from quest_platform.services.errors import NotAllowed
from quest_platform.services.roster_import import (
    ROSTER_MAX_BYTES,
    ROSTER_MAX_ROWS,
    ImportedCredential,
    RosterLayout,
    RosterNotImported,
    RosterTooLarge,
    credentials_csv,
    import_roster,
    preview_roster,
)

SIMPLE = (
    "first name,last name,username,email\nAna,Lee,ana.lee,ana.lee@example.org\nBen,Ito,Ben.Ito,\n"
)
GOOGLE = (
    "Last Name,First Name,Email Address,Unit 1 quiz\n"
    "Lee,Ana,Ana.Lee@school.example.org,9\n"
    "Ito,Ben,ben.ito@school.example.org,7\n"
)
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (1234),Current Score\n"
    "    Points Possible,,,,,10.00,(read only)\n"
    '"Lee, Ana",101,s1001,ana.lee@school.example.org,Period 3,9.00,90\n'
    '"Ito, Ben",102,s1002,,Period 3,8.00,80\n'
    '"Student, Test",103,,,Period 3,,\n'
)


@pytest.fixture
def teacher(school):
    return school.teacher


@pytest.fixture
def check(school):
    """Preview a roster for the first teacher's classroom."""

    def preview(data: bytes | str):
        return preview_roster(data=data, classroom=school.classroom, by=school.teacher)

    return preview


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Enrollment, AuditEntry)
    )


def statuses(preview) -> dict[int, str]:
    return {row.line: row.status for row in preview.rows}


# The three layouts


def test_a_simple_roster_is_read_row_by_row(check):
    preview = check(SIMPLE.encode())
    assert preview.layout is RosterLayout.SIMPLE
    assert preview.errors == ()
    assert [(row.line, row.display_name, row.username, row.email) for row in preview.rows] == [
        (2, "Ana Lee", "ana.lee", "ana.lee@example.org"),
        (3, "Ben Ito", "ben.ito", None),
    ]
    assert statuses(preview) == {2: "new student", 3: "new student"}
    assert preview.can_import
    assert preview.summary == "2 new students, 0 errors"


def test_the_email_column_is_optional(check):
    preview = check(b"First Name,Last Name,Username\nAna,Lee,ana.lee\n")
    assert preview.can_import
    assert preview.rows[0].email is None


def test_header_names_ignore_case_spaces_and_underscores(check):
    preview = check(b" FIRST_NAME ,LastName,  user name \nAna,Lee,ana.lee\n")
    assert preview.layout is RosterLayout.SIMPLE
    assert preview.can_import


def test_a_google_classroom_export_takes_usernames_from_email_addresses(check):
    preview = check(GOOGLE.encode())
    assert preview.layout is RosterLayout.GOOGLE_CLASSROOM
    assert [(row.display_name, row.username, row.email) for row in preview.rows] == [
        ("Ana Lee", "ana.lee", "ana.lee@school.example.org"),
        ("Ben Ito", "ben.ito", "ben.ito@school.example.org"),
    ]
    assert preview.notes == ("This column is ignored: “Unit 1 quiz”.",)
    assert preview.can_import


def test_a_canvas_export_skips_points_possible_and_the_test_student(check):
    preview = check(CANVAS.encode())
    assert preview.layout is RosterLayout.CANVAS
    assert [(row.line, row.first_name, row.last_name, row.username) for row in preview.rows] == [
        (3, "Ana", "Lee", "ana.lee"),
        (4, "Ben", "Ito", "s1002"),
    ]
    assert preview.notes == (
        "These columns are ignored: “Quiz 1 (1234)” and “Current Score”.",
        "Line 2 is Canvas's “Points Possible” row; it is skipped.",
        "Line 5 is Canvas's test student; it is skipped.",
    )
    assert preview.can_import


def test_a_canvas_name_must_read_last_comma_first(check):
    preview = check(b"Student,SIS Login ID\nAna Lee,ana.lee\n")
    assert statuses(preview) == {2: "error: the name should read “Last, First”"}


def test_a_canvas_row_without_a_name_says_so(check):
    preview = check(b"Student,SIS Login ID\n,ana.lee\n")
    assert statuses(preview) == {2: "error: first name missing; last name missing"}


def test_a_canvas_row_needs_a_sis_id(check):
    preview = check(b'Student,ID,SIS User ID,SIS Login ID\n"Lee, Ana",101,,\n')
    assert statuses(preview) == {2: "error: SIS Login ID and SIS User ID missing"}


def test_a_google_row_needs_an_email_address(check):
    preview = check(b"First Name,Last Name,Email Address\nAna,Lee,\n")
    assert statuses(preview) == {2: "error: email address missing"}


# Encodings and delimiters


def test_a_utf8_byte_order_mark_is_not_part_of_the_header(check):
    preview = check(b"\xef\xbb\xbf" + SIMPLE.encode())
    assert preview.layout is RosterLayout.SIMPLE
    assert preview.can_import


def test_windows_1252_from_excel_is_read(check):
    preview = check("first name,last name,username\nJosé,Muñoz,jose.munoz\n".encode("cp1252"))
    assert preview.rows[0].display_name == "José Muñoz"
    assert preview.can_import


def test_utf8_names_are_read_as_utf8(check):
    preview = check("first name,last name,username\nZoë,Çelik,zoe.celik\n".encode())
    assert preview.rows[0].display_name == "Zoë Çelik"


def test_semicolons_separate_columns_too(check):
    text = 'first name;last name;username;email\nAna;"Lee, Jr.";ana.lee;\nBen;Ito;ben.ito;\n'
    preview = check(text.encode())
    assert [row.last_name for row in preview.rows] == ["Lee, Jr.", "Ito"]
    assert preview.can_import


def test_line_numbers_count_blank_lines_and_multiline_cells(check):
    text = 'first name,last name,username\n\nAna,"Lee\nSmith",ana.lee\n,,\nBen,Ito,b\n'
    preview = check(text.encode())
    assert [row.line for row in preview.rows] == [3, 6]
    assert statuses(preview)[6].startswith("error: username “b” is not valid")


def test_text_sent_back_by_a_browser_reads_like_the_file(check):
    from_file = check(SIMPLE.encode())
    from_form = check(SIMPLE.replace("\n", "\r\n"))
    assert from_form.rows == from_file.rows
    assert from_form.text == from_file.text


# Bad files


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b" \n\n ", "The file is empty."),
        (b",,,\n , ,\n", "The file is empty."),
        (b"first name,last name,username\n", "The file has a header row but no students."),
        (
            b"first name,last name,email\nAna,Lee,a@example.org\n",
            "This looks like a simple roster, but the column “username” is missing.",
        ),
        (
            b"Student,ID,Section\n",
            "This looks like a Canvas export, but the column “SIS Login ID or SIS User ID” "
            "is missing.",
        ),
        (
            b"name,class\nAna Lee,3\n",
            "The first row is not a header row this import knows. It should name the columns, "
            "for example: first name, last name, username, email. It reads: name, class.",
        ),
        (
            b"username,first name,last name,User Name\n",
            "The column “User Name” appears twice in the header row.",
        ),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "The file is not CSV text"),
        ("first name,last name,username\n".encode("utf-16"), "The file is not CSV text"),
    ],
    ids=[
        "empty",
        "blank",
        "only-delimiters",
        "header-only",
        "missing-column",
        "missing-either-column",
        "unknown-header",
        "duplicate-column",
        "spreadsheet",
        "utf-16",
    ],
)
def test_a_file_that_cannot_be_imported_says_why(check, data, message):
    preview = check(data)
    assert len(preview.errors) == 1
    assert preview.errors[0].startswith(message)
    assert preview.rows == ()
    assert not preview.can_import


def test_a_file_over_the_size_limit_is_refused_before_reading(check):
    data = SIMPLE.encode() + b"x" * ROSTER_MAX_BYTES
    with pytest.raises(RosterTooLarge) as refused:
        check(data)
    assert refused.value.status_code == 413
    assert "larger than 256 KB" in refused.value.message


def test_text_that_grows_over_the_limit_as_utf8_is_refused(check):
    # 0x80 is one byte in Windows-1252 and three (the euro sign) in UTF-8.
    data = b"first name,last name,username\n" + b"\x80" * (ROSTER_MAX_BYTES // 2)
    with pytest.raises(RosterTooLarge):
        check(data)


def test_too_many_students_are_refused(check):
    rows = "".join(f"Ana,Lee,student{n}\n" for n in range(ROSTER_MAX_ROWS + 1))
    preview = check("first name,last name,username\n" + rows)
    assert preview.errors == (
        "The file has 501 students; at most 500 can be imported at once. "
        "Split it into smaller files.",
    )


def test_many_ignored_columns_are_summarised(check):
    header = "first name,last name,username," + ",".join(f"Quiz {n}" for n in range(10))
    preview = check(header + "\nAna,Lee,ana.lee\n")
    assert preview.notes == (
        "These columns are ignored: "
        + ", ".join(f"“Quiz {n}”" for n in range(8))
        + ", and 2 more.",
    )


# Row checks


def test_every_problem_of_a_row_is_listed(check):
    text = "first name,last name,username,email\n,,No Spaces!,not-an-email\n"
    (row,) = check(text).rows
    assert row.errors == (
        "first name missing",
        "last name missing",
        "username “no spaces!” is not valid: use 3 to 40 letters, digits, dots, dashes or "
        "underscores, starting with a letter or digit",
        "email address “not-an-email” is not valid",
    )
    assert row.status.startswith("error: first name missing; last name missing; username")


def test_a_missing_username_is_an_error(check):
    assert statuses(check(b"first name,last name,username\nAna,Lee,\n")) == {
        2: "error: username missing"
    }


def test_a_name_longer_than_80_characters_is_an_error(check):
    preview = check(f"first name,last name,username\n{'A' * 50},{'B' * 40},ana.lee\n")
    assert statuses(preview) == {2: "error: name longer than 80 characters"}


def test_a_username_twice_in_the_file_names_both_lines(check):
    text = "first name,last name,username\nAna,Lee,ana\nBen,Ito,ben\nAnabel,Lee,ANA\nAna,Li,ana\n"
    preview = check(text)
    assert statuses(preview) == {
        2: "error: username “ana” is also on lines 4, 5",
        3: "new student",
        4: "error: username “ana” is also on lines 2, 5",
        5: "error: username “ana” is also on lines 2, 4",
    }
    assert preview.summary == "1 new student, 3 errors"
    assert not preview.can_import


def test_a_username_on_the_platform_is_already_taken(check, school):
    text = f"first name,last name,username\nAna,Lee,{school.other_student.username.upper()}\n"
    assert statuses(check(text)) == {
        2: f"error: username “{school.other_student.username}” is already taken"
    }


def test_an_email_twice_in_the_file_names_both_lines(check):
    text = (
        "first name,last name,username,email\n"
        "Ana,Lee,ana.lee,same@example.org\n"
        "Ben,Ito,ben.ito,Same@Example.org\n"
    )
    assert statuses(check(text)) == {
        2: "error: email address “same@example.org” is also on line 3",
        3: "error: email address “same@example.org” is also on line 2",
    }


def test_an_email_on_the_platform_is_already_in_use(check, make):
    make.teacher(email="lee@example.org")
    text = "first name,last name,username,email\nAna,Lee,ana.lee,LEE@example.org\n"
    assert statuses(check(text)) == {2: "error: email address “lee@example.org” is already in use"}


def test_a_preview_writes_nothing(check, db):
    before = counts(db)
    check(SIMPLE.encode())
    db.session.expire_all()
    assert counts(db) == before


# Importing


def test_the_import_creates_enrolls_and_returns_one_time_passwords(db, school):
    credentials = import_roster(data=SIMPLE.encode(), classroom=school.classroom, by=school.teacher)

    assert [(c.display_name, c.username) for c in credentials] == [
        ("Ana Lee", "ana.lee"),
        ("Ben Ito", "ben.ito"),
    ]
    for credential in credentials:
        student = db.session.scalar(select(User).where(User.username == credential.username))
        assert student.is_student
        assert student.must_change_password
        assert verify_password(credential.password, student.password)
        assert credential.password not in student.password
        assert [e.classroom_id for e in student.enrollments] == [school.classroom.id]
    ana = db.session.scalar(select(User).where(User.username == "ana.lee"))
    assert ana.email == "ana.lee@example.org"
    assert ana.pseudonym


def test_each_created_student_has_one_audit_entry_by_the_importer(db, school):
    credentials = import_roster(data=SIMPLE.encode(), classroom=school.classroom, by=school.teacher)
    students = db.session.scalars(
        select(User).where(User.username.in_([c.username for c in credentials]))
    ).all()
    for student in students:
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.table_name == "user", AuditEntry.record_id == str(student.id)
            )
        ).all()
        assert [(entry.action, entry.actor_id) for entry in entries] == [
            ("create", school.teacher.id)
        ]
        assert "password" not in entries[0].after
    passwords = [credential.password for credential in credentials]
    for entry in db.session.scalars(select(AuditEntry)):
        assert not any(password in str(entry.after) for password in passwords)


def test_one_bad_row_means_nothing_is_imported(db, school):
    text = SIMPLE + "Cy,,cy.ok,\n"
    before = counts(db)
    with pytest.raises(RosterNotImported) as refused:
        import_roster(data=text, classroom=school.classroom, by=school.teacher)
    assert refused.value.status_code == 422
    assert statuses(refused.value.preview)[4] == "error: last name missing"
    db.session.expire_all()
    assert counts(db) == before


def test_a_file_that_cannot_be_read_imports_nothing(db, school):
    before = counts(db)
    with pytest.raises(RosterNotImported) as refused:
        import_roster(data=b"", classroom=school.classroom, by=school.teacher)
    assert refused.value.preview.errors == ("The file is empty.",)
    assert counts(db) == before


def test_an_admin_may_import_into_any_classroom(db, school):
    credentials = import_roster(
        data=SIMPLE.encode(), classroom=school.other_classroom, by=school.admin
    )
    assert len(credentials) == 2


def test_the_command_line_imports_without_a_person(db, school):
    credentials = import_roster(data=SIMPLE.encode(), classroom=school.classroom, by=None)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "user").limit(1))
    assert len(credentials) == 2
    assert entry.actor_id is None


@pytest.mark.parametrize("action", [preview_roster, import_roster])
def test_another_teacher_is_refused(db, school, action):
    before = counts(db)
    with pytest.raises(NotAllowed):
        action(data=SIMPLE.encode(), classroom=school.classroom, by=school.other_teacher)
    assert counts(db) == before


def test_a_student_is_refused(db, school):
    with pytest.raises(NotAllowed):
        import_roster(data=SIMPLE.encode(), classroom=school.classroom, by=school.student)


def test_passwords_stay_out_of_the_credentials_repr():
    credential = ImportedCredential("Ana Lee", "ana.lee", "abcd-efgh-jkmn")
    assert "abcd-efgh-jkmn" not in repr(credential)


# The credentials as CSV


def test_credentials_csv_is_excel_friendly_and_defuses_formulas():
    credentials = [
        ImportedCredential('=HYPERLINK("http://evil")', "ana.lee", "abcd-efgh-jkmn"),
        ImportedCredential("+Ben", "ben.ito", "mnpq-rstu-vwxy"),
        ImportedCredential("-Cy", "cy", "aaaa-bbbb-cccc"),
        ImportedCredential("@Dee", "dee", "dddd-eeee-ffff"),
        ImportedCredential("José Muñoz", "jose", "gggg-hhhh-jjjj"),
    ]
    text = credentials_csv(credentials, sign_in_url="http://localhost/login")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["Name", "Username", "One-time password", "Sign-in address"]
    assert [row[0] for row in rows[1:]] == [
        '\'=HYPERLINK("http://evil")',
        "'+Ben",
        "'-Cy",
        "'@Dee",
        "José Muñoz",
    ]
    assert rows[1][1:] == ["ana.lee", "abcd-efgh-jkmn", "http://localhost/login"]


def test_credentials_csv_without_a_sign_in_address():
    text = credentials_csv([ImportedCredential("Ana Lee", "ana.lee", "abcd-efgh-jkmn")])
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        ["Name", "Username", "One-time password"],
        ["Ana Lee", "ana.lee", "abcd-efgh-jkmn"],
    ]
