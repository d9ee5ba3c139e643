"""Accounts: creating users, joining classrooms, passwords and preferences."""

from __future__ import annotations

import re
import secrets
import uuid

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_security import hash_password, verify_password
from sqlalchemy import func, select

from quest_platform.extensions import db, security
from quest_platform.models import Classroom, Enrollment, Language, Role, RoleName, Theme, User
from quest_platform.models.base import utcnow
from quest_platform.services.audit import record_change, snapshot
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error
from quest_platform.services.tokens import revoke_api_tokens
from quest_platform.time_zones import is_time_zone

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
# Letters and digits that cannot be mistaken for one another when read off a printed sheet.
READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# Where the application keeps its stand-in password hash (see stand_in_hash).
STAND_IN_HASH = "quest_platform.stand_in_hash"
PSEUDONYM_ADJECTIVES = (
    "Brave", "Bright", "Calm", "Clever", "Curious", "Daring", "Eager", "Gentle", "Happy",
    "Keen", "Lively", "Lucky", "Mighty", "Nimble", "Quick", "Quiet", "Sharp", "Steady",
    "Swift", "Witty",
)  # fmt: skip
PSEUDONYM_ANIMALS = (
    "Badger", "Condor", "Coyote", "Dolphin", "Falcon", "Fox", "Heron", "Lynx", "Marmot",
    "Orca", "Otter", "Owl", "Pelican", "Puffin", "Quail", "Raven", "Salmon", "Seal", "Sparrow",
    "Whale",
)  # fmt: skip
# The same game in Spanish, noun first ("NutriaVeloz42"). The adjectives have one form for
# both genders, so each fits every animal, and no word needs an accent: leaderboard names are
# plain ASCII letters and digits.
PSEUDONYM_ADJECTIVES_ES = (
    "Alegre", "Amable", "Audaz", "Brillante", "Constante", "Feliz", "Firme", "Fuerte",
    "Genial", "Gentil", "Leal", "Libre", "Noble", "Paciente", "Prudente", "Sagaz", "Tenaz",
    "Valiente", "Veloz", "Vivaz",
)  # fmt: skip
PSEUDONYM_ANIMALS_ES = (
    "Alpaca", "Ardilla", "Ballena", "Ciervo", "Coyote", "Foca", "Garza", "Gaviota", "Jaguar",
    "Koala", "Lince", "Llama", "Lobo", "Mapache", "Nutria", "Orca", "Puma", "Quetzal",
    "Tortuga", "Zorro",
)  # fmt: skip


def normalize_username(username: str) -> str:
    """Return the stored form of a username: trimmed and lower-case."""
    return username.strip().lower()


def generate_password() -> str:
    """Return a random one-time password that is easy to read aloud and type."""
    groups = ("".join(secrets.choice(READABLE_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def generate_pseudonym(language: str | None = None) -> str:
    """Return an unused leaderboard name such as ``SwiftOtter42`` or ``NutriaVeloz42``.

    The name is in ``language``, by default the language of the page that creates the account
    (the student joining, the teacher importing a roster).
    """
    language = language or str(get_locale() or "en")
    while True:
        number = str(secrets.randbelow(90) + 10)
        if language.startswith("es"):
            words = secrets.choice(PSEUDONYM_ANIMALS_ES) + secrets.choice(PSEUDONYM_ADJECTIVES_ES)
        else:
            words = secrets.choice(PSEUDONYM_ADJECTIVES) + secrets.choice(PSEUDONYM_ANIMALS)
        candidate = words + number
        if not pseudonym_taken(candidate):
            return candidate


def pseudonym_taken(pseudonym: str, *, except_user: User | None = None) -> bool:
    """Whether another user already shows ``pseudonym`` on leaderboards."""
    query = select(User.id).where(func.lower(User.pseudonym) == pseudonym.lower())
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


def login_name(identity: str) -> str:
    """The form a username or email address given at sign-in is looked up by."""
    return identity.strip().lower()


def find_user_by_login(identity: str) -> User | None:
    """Return the user whose username or email is ``identity`` (case-insensitive)."""
    identity = login_name(identity)
    if not identity:
        return None
    column = User.email if "@" in identity else User.username
    return db.session.scalar(select(User).where(func.lower(column) == identity))


def stand_in_hash() -> str:
    """A hash of a random password at the configured cost, made once per application.

    A sign-in naming no account is checked against it, so that it takes as long as one naming
    an account.
    """
    extensions = current_app.extensions
    if STAND_IN_HASH not in extensions:
        extensions[STAND_IN_HASH] = hash_password(secrets.token_urlsafe(32))
    return str(extensions[STAND_IN_HASH])


def authenticate_user(*, login: str, password: str) -> User | None:
    """The active user whose username or email address is ``login``, if ``password`` is theirs.

    Every sign-in path checks passwords here, and every answer costs the same one password
    check, so the time taken tells nothing: a name of no account is checked against
    :func:`stand_in_hash`, and an inactive account's password is checked before it is refused.
    A correct password stored with outdated settings is hashed again; the caller commits it.
    """
    user = find_user_by_login(login)
    password = security.password_util.normalize(password)
    if user is None or not user.password:
        verify_password(password, stand_in_hash())
        return None
    if not user.verify_and_update_password(password) or not user.active:
        return None
    return user


def checked_display_name(display_name: str) -> str:
    """Return the trimmed display name, or raise if it is empty or too long."""
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 80:
        raise ServiceError(_("Enter a display name of 1 to 80 characters."), field="display_name")
    return display_name


def checked_pseudonym(pseudonym: str, *, user: User) -> str:
    """Return the trimmed leaderboard name, or raise if it is malformed or someone else's."""
    pseudonym = pseudonym.strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{3,40}", pseudonym):
        raise ServiceError(
            _("Use 3 to 40 letters, digits, dashes or underscores."), field="pseudonym"
        )
    if pseudonym_taken(pseudonym, except_user=user):
        raise Conflict(_("Someone else uses that leaderboard name."), field="pseudonym")
    return pseudonym


def check_password_policy(password: str, *, username: str) -> str:
    """Return the normalised password, or raise with the first rule it breaks."""
    problems, normalized = security.password_util.validate(
        password, is_register=True, username=username
    )
    if problems:
        raise ServiceError(str(problems[0]), field="password")
    return normalized


def ensure_roles() -> dict[str, Role]:
    """Create the admin, teacher and student roles if missing and return them by name."""
    descriptions = {
        RoleName.ADMIN: "Manages the whole platform",
        RoleName.TEACHER: "Manages their own classrooms",
        RoleName.STUDENT: "Works through assigned quests",
    }
    roles = {role.name: role for role in db.session.scalars(select(Role))}
    for name, description in descriptions.items():
        if name.value not in roles:
            roles[name.value] = Role(name=name.value, description=description)
            db.session.add(roles[name.value])
    return roles


@undone_on_error
def create_user(
    *,
    username: str,
    display_name: str,
    password: str,
    role: RoleName,
    email: str | None = None,
    actor: User | None = None,
    must_change_password: bool = False,
    pseudonym_language: str | None = None,
    commit: bool = True,
) -> User:
    """Create a user with one role after checking the username, email and password policy.

    ``must_change_password`` is for a password someone else chose (a one-time password);
    ``pseudonym_language`` the language of the generated leaderboard name (by default the
    page's).
    """
    username = normalize_username(username)
    if not USERNAME_PATTERN.match(username):
        raise ServiceError(
            _(
                "Use 3 to 40 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit."
            ),
            field="username",
        )
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(_("That username is taken. Please choose another."), field="username")
    email = email.strip().lower() if email else None
    if email and db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(_("That email address is already in use."), field="email")
    display_name = checked_display_name(display_name)
    normalized = check_password_policy(password, username=username)

    user = User(
        username=username,
        email=email,
        display_name=display_name,
        password=hash_password(normalized),
        fs_uniquifier=uuid.uuid4().hex,
        pseudonym=generate_pseudonym(pseudonym_language),
        active=True,
        must_change_password=must_change_password,
        roles=[ensure_roles()[role.value]],
    )
    db.session.add(user)
    record_change(actor=actor, action="create", record=user)
    if commit:
        db.session.commit()
    return user


@undone_on_error
def register_student(*, join_code: str, username: str, display_name: str, password: str) -> User:
    """Create a student account and enroll it in the classroom that owns ``join_code``."""
    classroom = db.session.scalar(
        select(Classroom).where(Classroom.join_code == join_code.strip().upper())
    )
    if classroom is None:
        raise ServiceError(
            _("No classroom has that join code. Check it with your teacher."), field="join_code"
        )
    try:
        student = create_user(
            username=username,
            display_name=display_name,
            password=password,
            role=RoleName.STUDENT,
            commit=False,
        )
        db.session.add(Enrollment(classroom=classroom, student=student))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return student


def may_manage_student(*, staff: User, student: User) -> bool:
    """Whether ``student`` is a student whom ``staff`` administers or teaches."""
    if not student.is_student:
        return False
    if staff.is_admin:
        return True
    if not staff.is_teacher:
        return False
    taught = {classroom.id for classroom in staff.taught_classrooms}
    return any(enrollment.classroom_id in taught for enrollment in student.enrollments)


def may_manage_account(*, staff: User, user: User) -> bool:
    """Whether ``staff`` may change ``user``: an admin anyone, a teacher their own students."""
    return staff.is_admin or may_manage_student(staff=staff, student=user)


@undone_on_error
def update_account(
    *, user: User, display_name: str, pseudonym: str, active: bool, by: User
) -> User:
    """Change the display name, leaderboard name and active flag of someone ``by`` manages."""
    if not may_manage_account(staff=by, user=user):
        raise NotAllowed(_("You can only change accounts of students in your classrooms."))
    if user.id == by.id and not active:
        raise ServiceError(_("You cannot deactivate your own account."), field="active")
    display_name = checked_display_name(display_name)
    pseudonym = checked_pseudonym(pseudonym, user=user)
    before = snapshot(user)
    user.display_name, user.pseudonym = display_name, pseudonym
    if user.active and not active:
        sign_out_everywhere(user=user)
        user.deactivated_at = utcnow()
    elif active:
        user.deactivated_at = None
    user.active = active
    record_change(actor=by, action="update", record=user, before=before)
    db.session.commit()
    return user


@undone_on_error
def reset_student_password(*, student: User, by: User) -> str:
    """Give a student a new one-time password, end their sessions, and return it once."""
    if not may_manage_student(staff=by, student=student):
        raise NotAllowed(_("You can only reset passwords of students in your classrooms."))
    password = generate_password()
    student.password = hash_password(password)
    student.must_change_password = True
    revoked = sign_out_everywhere(user=student)
    record_change(
        actor=by,
        action="reset_password",
        record=student,
        before=None,
        after={"must_change_password": True, "api_tokens_revoked": revoked},
    )
    db.session.commit()
    return password


def sign_out_everywhere(*, user: User) -> int:
    """End every way into ``user``'s account, in the caller's transaction.

    A new uniquifier ends their sessions, and their API tokens stop working. Every reset of a
    password and every deactivation goes through here; a password the user changes themselves
    goes through :func:`record_password_change`. Returns how many tokens stopped working.
    """
    user.fs_uniquifier = uuid.uuid4().hex
    return revoke_api_tokens(user=user)


@undone_on_error
def record_password_change(*, user: User) -> None:
    """Complete a change of password the user made themselves, and commit it with the password.

    Flask-Security has set the new hash and a new uniquifier (their other sessions end, the one
    they changed it from goes on); here every API token of theirs stops working, and a one-time
    password counts as replaced.
    """
    revoked = revoke_api_tokens(user=user)
    user.must_change_password = False
    record_change(
        actor=user,
        action="change_password",
        record=user,
        after={"must_change_password": False, "api_tokens_revoked": revoked},
    )
    db.session.commit()


@undone_on_error
def update_preferences(
    *,
    user: User,
    display_name: str,
    pseudonym: str,
    language: str | None,
    theme: str,
    reduced_motion: bool,
    leaderboard_opt_in: bool,
    time_zone: str | None = None,
) -> User:
    """Save a user's own profile and preferences. A language or time zone of None (or empty)
    leaves the choice to their browser."""
    display_name = checked_display_name(display_name)
    pseudonym = checked_pseudonym(pseudonym, user=user)
    if language and language not in {member.value for member in Language}:
        raise ServiceError(_("Choose a language from the list."), field="language")
    if time_zone and not is_time_zone(time_zone):
        raise ServiceError(_("Choose a time zone from the list."), field="time_zone")
    if theme not in {member.value for member in Theme}:
        raise ServiceError(_("Choose a theme from the list."), field="theme")
    user.display_name = display_name
    user.pseudonym = pseudonym
    user.language = language or None
    user.time_zone = time_zone or None
    user.theme = theme
    user.reduced_motion = reduced_motion
    user.leaderboard_opt_in = leaderboard_opt_in
    db.session.commit()
    return user


@undone_on_error
def set_language(*, user: User, language: str) -> User:
    """Save the interface language a user chose."""
    if language not in {member.value for member in Language}:
        raise ServiceError(_("Choose a language from the list."), field="language")
    user.language = language
    db.session.commit()
    return user
