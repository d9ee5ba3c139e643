"""Account services: creating users, students joining with a code, password resets, sign-in."""

from __future__ import annotations

import json

import pytest
from flask_security import verify_password
from helpers import PASSWORD, count_password_work
from sqlalchemy import func, select

from quest_platform.models import ApiToken, AuditEntry, Enrollment, RoleName, User
from quest_platform.services import ServiceError
from quest_platform.services.accounts import (
    authenticate_user,
    create_user,
    record_password_change,
    register_student,
    reset_student_password,
    update_account,
)
from quest_platform.services.errors import Conflict, NotAllowed
from quest_platform.services.tokens import create_api_token


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def rows_written(db) -> dict[str, int]:
    """How many users, enrollments and audit entries exist: unchanged means nothing written."""
    return {model.__name__: count(db, model) for model in (User, Enrollment, AuditEntry)}


def new_student(**overrides):
    values = {
        "username": "ada.l",
        "display_name": "Ada Lovelace",
        "password": PASSWORD,
        "role": RoleName.STUDENT,
    }
    return create_user(**{**values, **overrides})


# create_user


def test_create_user_stores_an_argon2_hash_never_the_password(db):
    user = new_student()
    assert user.password.startswith("$argon2")
    assert PASSWORD not in user.password
    assert verify_password(PASSWORD, user.password)


def test_create_user_gives_the_role_and_a_pseudonym(db):
    user = new_student(role=RoleName.TEACHER)
    assert user.is_teacher
    assert not user.is_student
    assert not user.is_admin
    assert user.pseudonym
    assert user.pseudonym != user.username


def test_usernames_are_stored_trimmed_and_lower_case(db):
    assert new_student(username="  Ada.L ").username == "ada.l"


@pytest.mark.parametrize(
    "username",
    ["ab", ".ada", "-ada", "ada lovelace", "ada@school", "ada/l", "a" * 41, ""],
    ids=[
        "too-short",
        "leading-dot",
        "leading-dash",
        "space",
        "at-sign",
        "slash",
        "too-long",
        "empty",
    ],
)
def test_username_rules_refuse_bad_names(db, username):
    with pytest.raises(ServiceError) as refused:
        new_student(username=username)
    assert refused.value.field == "username"
    assert "3 to 40" in refused.value.message
    assert count(db, User) == 0


def test_taken_username_is_a_conflict_whatever_the_case(db):
    new_student(username="ada.l")
    with pytest.raises(Conflict) as refused:
        new_student(username="ADA.L", display_name="Another Ada")
    assert refused.value.field == "username"
    assert "taken" in refused.value.message
    assert count(db, User) == 1


def test_email_is_unique_whatever_the_case(db):
    new_student(username="ada.l", email="ada@example.org")
    with pytest.raises(Conflict) as refused:
        new_student(username="ada.b", email="Ada@Example.org")
    assert refused.value.field == "email"
    assert count(db, User) == 1


def test_students_may_have_no_email(db):
    first, second = new_student(username="ada.l"), new_student(username="ada.b")
    assert first.email is None
    assert second.email is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pw", "at least 10 characters"),
        ("aaaaaaaaaaaa", "Repeats"),
        ("password1234", "common password"),
    ],
    ids=["too-short", "repeated", "common"],
)
def test_password_policy_refuses_weak_passwords_with_a_reason(db, password, reason):
    with pytest.raises(ServiceError) as refused:
        new_student(password=password)
    assert refused.value.field == "password"
    assert reason in refused.value.message
    assert count(db, User) == 0


def test_creating_a_user_is_audited_without_secrets(db):
    user = new_student()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "user"))
    assert entry.action == "create"
    assert entry.record_id == str(user.id)
    assert entry.after["username"] == "ada.l"
    assert "password" not in entry.after
    assert "fs_uniquifier" not in entry.after


# register_student


def join(classroom, **overrides):
    values = {
        "join_code": classroom.join_code,
        "username": "grace.h",
        "display_name": "Grace Hopper",
        "password": PASSWORD,
    }
    return register_student(**{**values, **overrides})


def test_register_student_enrolls_the_student_in_the_code_s_classroom(db, make):
    classroom = make.classroom()
    student = join(classroom)
    assert student.is_student
    assert [enrollment.classroom for enrollment in student.enrollments] == [classroom]


def test_join_codes_are_read_forgivingly(db, make):
    classroom = make.classroom()
    student = join(classroom, join_code=f"  {classroom.join_code.lower()} ")
    assert student.enrollments[0].classroom == classroom


def test_wrong_join_code_is_refused_and_nothing_is_written(db, make):
    make.classroom()
    before = rows_written(db)
    with pytest.raises(ServiceError) as refused:
        register_student(
            join_code="ZZZZZZZZ", username="grace.h", display_name="Grace", password=PASSWORD
        )
    assert refused.value.field == "join_code"
    assert "join code" in refused.value.message
    assert rows_written(db) == before


def test_taken_username_on_joining_is_refused_and_nothing_is_written(db, make):
    classroom = make.classroom()
    join(classroom)
    before = rows_written(db)
    with pytest.raises(Conflict) as refused:
        join(classroom, display_name="Another Grace")
    assert refused.value.field == "username"
    assert rows_written(db) == before


def test_weak_password_on_joining_is_refused_and_nothing_is_written(db, make):
    classroom = make.classroom()
    before = rows_written(db)
    with pytest.raises(ServiceError) as refused:
        join(classroom, password="grace")
    assert refused.value.field == "password"
    assert refused.value.message
    assert rows_written(db) == before


# reset_student_password


def test_teacher_resets_the_password_of_a_student_in_their_classroom(db, make):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    old_hash, old_uniquifier = student.password, student.fs_uniquifier

    new_password = reset_student_password(student=student, by=teacher)

    assert verify_password(new_password, student.password)
    assert not verify_password(PASSWORD, student.password)
    assert student.password != old_hash
    assert student.fs_uniquifier != old_uniquifier, "old sessions must end"
    assert student.must_change_password


def test_admin_resets_any_student_s_password(db, make):
    admin, student = make.admin(), make.student()
    make.classroom(students=[student])
    assert verify_password(reset_student_password(student=student, by=admin), student.password)


def test_teacher_of_another_classroom_may_not_reset_a_password(db, make):
    teacher, other_teacher, student = make.teacher(), make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    make.classroom(teachers=[other_teacher])
    with pytest.raises(NotAllowed):
        reset_student_password(student=student, by=other_teacher)
    db.session.rollback()
    db.session.refresh(student)
    assert verify_password(PASSWORD, student.password)
    assert not student.must_change_password


def test_students_may_not_reset_passwords(db, make):
    student, classmate = make.student(), make.student()
    make.classroom(students=[student, classmate])
    with pytest.raises(NotAllowed):
        reset_student_password(student=classmate, by=student)


def test_teachers_may_not_reset_a_colleague_s_password(db, make):
    teacher, colleague = make.teacher(), make.teacher()
    make.classroom(teachers=[teacher, colleague])
    with pytest.raises(NotAllowed):
        reset_student_password(student=colleague, by=teacher)


@pytest.mark.parametrize("role", [RoleName.TEACHER, RoleName.ADMIN])
def test_the_student_reset_never_touches_a_staff_account(db, make, role):
    admin, staff = make.admin(), make.user(role)
    with pytest.raises(NotAllowed):
        reset_student_password(student=staff, by=admin)
    db.session.rollback()
    db.session.refresh(staff)
    assert verify_password(PASSWORD, staff.password)


def test_password_reset_is_audited_without_any_secret(db, make):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])

    new_password = reset_student_password(student=student, by=teacher)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reset_password"))
    assert entry.actor_id == teacher.id
    assert entry.table_name == "user"
    assert entry.record_id == str(student.id)
    recorded = json.dumps([entry.before, entry.after])
    for secret in (new_password, student.password, student.fs_uniquifier, "$argon2"):
        assert secret not in recorded


def test_a_teacher_updates_their_students_account_and_it_is_audited(db, make):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    uniquifier = student.fs_uniquifier
    update_account(
        user=student, display_name="Ada", pseudonym="QuietOwl12", active=False, by=teacher
    )
    assert (student.display_name, student.pseudonym, student.active) == ("Ada", "QuietOwl12", False)
    # Deactivating signs the student out everywhere.
    assert student.fs_uniquifier != uniquifier
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id) == ("update", teacher.id)
    assert "fs_uniquifier" not in entry.before
    assert "password" not in entry.after


def test_a_teacher_cannot_update_other_students_or_staff(db, make):
    teacher = make.teacher()
    for user in (make.student(), make.teacher()):
        with pytest.raises(NotAllowed):
            update_account(
                user=user, display_name="X", pseudonym=user.pseudonym, active=True, by=teacher
            )


def test_nobody_deactivates_themselves(db, make):
    admin = make.admin()
    with pytest.raises(ServiceError):
        update_account(
            user=admin, display_name="A", pseudonym=admin.pseudonym, active=False, by=admin
        )
    assert admin.active is True


# Ending every way into an account: a reset, a new password or a deactivation revokes its tokens


def working_tokens(db, user: User) -> list[ApiToken]:
    db.session.expire_all()
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return [token for token in tokens if token.revoked_at is None]


def test_a_password_reset_revokes_every_token_of_the_student_and_says_how_many(db, make):
    teacher, student, classmate = make.teacher(), make.student(), make.student()
    make.classroom(teachers=[teacher], students=[student, classmate])
    for name in ("Pages site", "Phone app"):
        create_api_token(user=student, name=name)
    create_api_token(user=classmate, name="Theirs")

    reset_student_password(student=student, by=teacher)

    assert working_tokens(db, student) == []
    assert len(working_tokens(db, classmate)) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reset_password"))
    assert entry.after["api_tokens_revoked"] == 2


def test_deactivating_an_account_revokes_its_tokens_and_reactivating_brings_none_back(db, make):
    teacher, student = make.teacher(), make.student()
    make.classroom(teachers=[teacher], students=[student])
    create_api_token(user=student, name="Pages site")
    values = {"display_name": student.display_name, "pseudonym": student.pseudonym}

    update_account(user=student, active=False, by=teacher, **values)
    assert working_tokens(db, student) == []
    update_account(user=student, active=True, by=teacher, **values)
    assert working_tokens(db, student) == []


def test_a_change_of_password_revokes_the_tokens_and_replaces_a_one_time_password(db, make):
    student = make.student()
    student.must_change_password = True
    create_api_token(user=student, name="Pages site")

    record_password_change(user=student)

    assert working_tokens(db, student) == []
    assert student.must_change_password is False
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "change_password"))
    assert (entry.actor_id, entry.after["api_tokens_revoked"]) == (student.id, 1)


# authenticate_user: the one password check of every sign-in path


def test_authenticate_user_finds_an_active_user_by_username_or_email(db, make):
    student = make.student(email="ada@example.org")
    assert authenticate_user(login=f"  {student.username.upper()} ", password=PASSWORD) == student
    assert authenticate_user(login="ADA@example.org", password=PASSWORD) == student


@pytest.mark.parametrize("case", ["unknown name", "inactive account", "wrong password"])
def test_each_refused_sign_in_checks_one_password_hashes_none(app, db, make, monkeypatch, case):
    student = make.student()
    login, password = student.username, PASSWORD
    if case == "unknown name":
        login = "nobody.here"
    elif case == "inactive account":
        student.active = False
        db.session.commit()
    else:
        password = "not the right password"

    calls = count_password_work(app, monkeypatch)
    assert authenticate_user(login=login, password=password) is None
    assert calls == {"verify": 1, "hash": 0}
