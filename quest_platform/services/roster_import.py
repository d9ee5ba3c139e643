"""Importing a class roster from a CSV file: a preview that writes nothing, then the import.

Three layouts are recognised by their header row (see docs/roster-import.md): a simple roster
(first name, last name, username, email), a Google Classroom export and a Canvas export. The
import is all or nothing: one row with an error and no account is created.
"""

from __future__ import annotations

import codecs
import csv
import enum
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from babel.lists import format_list
from email_validator import EmailNotValidError, validate_email
from flask_babel import LazyString, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.models import Classroom, Enrollment, RoleName, User
from quest_platform.services.accounts import (
    USERNAME_PATTERN,
    create_user,
    generate_password,
    normalize_username,
)
from quest_platform.services.classrooms import may_manage_classroom
from quest_platform.services.errors import Conflict, NotAllowed, ServiceError, undone_on_error
from quest_platform.spreadsheets import spreadsheet_safe

# The preview sends the roster's text back in a form for the import. URL-encoded, each byte
# becomes at most three, so 256 KB of text stays well within the 2 MB a request may carry
# (MAX_CONTENT_LENGTH), and within the 512 KB of a multipart field (MAX_FORM_MEMORY_SIZE).
ROSTER_MAX_BYTES = 256 * 1024
ROSTER_MAX_ROWS = 500
DISPLAY_NAME_MAX_LENGTH = 80
# How many ignored column names a note lists before it says "and N more".
IGNORED_COLUMNS_SHOWN = 8
# Canvas puts these in the Student column of rows that are not real students.
CANVAS_POINTS_POSSIBLE = "points possible"
CANVAS_TEST_STUDENT = "student, test"
# A spreadsheet treats a cell starting with one of these as a formula.


class RosterLayout(enum.StrEnum):
    """The kinds of roster file the import understands."""

    SIMPLE = "simple"
    GOOGLE_CLASSROOM = "google_classroom"
    CANVAS = "canvas"


def in_words(items: Sequence[str], *, style: Literal["standard", "or"] = "standard") -> str:
    """Items as a list in the page's language: "a, b and c" ("a, b y c"); "or" style for choices."""
    return format_list(list(items), style=style, locale=get_locale() or "en")


@dataclass(frozen=True)
class LayoutSpec:
    """A layout's columns, by the names its header row uses."""

    layout: RosterLayout
    label: LazyString
    # Each group is satisfied by any one of its columns.
    required: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...] = ()

    def known(self) -> set[str]:
        """The header keys of every column this layout reads or expects."""
        names = [name for group in self.required for name in group] + list(self.optional)
        return {column_key(name) for name in names}

    def missing(self, header: dict[str, int]) -> list[str]:
        """The required column groups absent from ``header``, each as readable text."""
        return [
            in_words(group, style="or")
            for group in self.required
            if not any(column_key(name) in header for name in group)
        ]


# In order of preference when a header row would fit more than one.
LAYOUTS = (
    LayoutSpec(
        RosterLayout.SIMPLE,
        _l("simple roster"),
        required=(("first name",), ("last name",), ("username",)),
        optional=("email",),
    ),
    LayoutSpec(
        RosterLayout.GOOGLE_CLASSROOM,
        _l("Google Classroom export"),
        required=(("First Name",), ("Last Name",), ("Email Address",)),
    ),
    LayoutSpec(
        RosterLayout.CANVAS,
        _l("Canvas export"),
        required=(("Student",), ("SIS Login ID", "SIS User ID")),
        optional=("ID", "Section", "Integration ID"),
    ),
)


class RosterTooLarge(ServiceError):
    """The file is over the size limit; nothing of it was read."""

    status_code = 413


class RosterNotImported(ServiceError):
    """The roster has errors, so nothing was written; ``preview`` shows them."""

    status_code = 422

    def __init__(self, preview: RosterPreview) -> None:
        super().__init__(_("The roster has errors, so nothing was imported."))
        self.preview = preview


@dataclass(frozen=True)
class RosterRow:
    """One student row of the file, as it would be imported, with its problems."""

    line: int
    first_name: str
    last_name: str
    username: str
    email: str | None
    errors: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> str:
        """Either "new student" or "error: " followed by every problem of the row."""
        if self.ok:
            return _("new student")
        return _("error: %(problems)s", problems="; ".join(self.errors))


@dataclass(frozen=True)
class RosterPreview:
    """What importing a file would do: its rows, and problems with the file as a whole."""

    text: str
    layout: RosterLayout | None = None
    rows: tuple[RosterRow, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def new_count(self) -> int:
        return sum(row.ok for row in self.rows)

    @property
    def error_count(self) -> int:
        return sum(not row.ok for row in self.rows)

    @property
    def can_import(self) -> bool:
        """Whether the file was read and every one of its rows can be imported."""
        return not self.errors and bool(self.rows) and self.error_count == 0

    @property
    def summary(self) -> str:
        """For example "12 new students, 2 errors"."""
        new = ngettext("%(num)d new student", "%(num)d new students", self.new_count)
        errors = ngettext("%(num)d error", "%(num)d errors", self.error_count)
        return f"{new}, {errors}"


@dataclass(frozen=True)
class ImportedCredential:
    """A created student's sign-in, to hand out once: the password is stored only as a hash."""

    display_name: str
    username: str
    password: str = field(repr=False)


def column_key(name: str) -> str:
    """A header cell as compared: lower-case, without spaces or underscores."""
    return re.sub(r"[\s_]+", "", name).lower()


def preview_roster(*, data: bytes | str, classroom: Classroom, by: User | None) -> RosterPreview:
    """Check a roster, as uploaded (bytes) or as sent back by a preview (text); writes nothing.

    ``by`` is the person importing; None stands for the command line, run by the server's
    operator. Raises :class:`RosterTooLarge` over the size limit and :class:`NotAllowed` if
    ``by`` may not manage ``classroom``.
    """
    if by is not None and not may_manage_classroom(staff=by, classroom=classroom):
        raise NotAllowed(_("You can only import students into your own classrooms."))
    text, problem = roster_text(data)
    if problem:
        return RosterPreview(text="", errors=(problem,))
    return _read_roster(text)


@undone_on_error
def import_roster(
    *, data: bytes | str, classroom: Classroom, by: User | None
) -> list[ImportedCredential]:
    """Create a student for every row and enroll them in ``classroom``, all or nothing.

    The roster is checked again completely first; any error raises :class:`RosterNotImported`
    and nothing is written. Each student gets a generated one-time password, which is returned
    once and stored only as a hash, and must choose a new one at the first sign-in.
    """
    preview = preview_roster(data=data, classroom=classroom, by=by)
    if not preview.can_import:
        raise RosterNotImported(preview)
    credentials = []
    try:
        for row in preview.rows:
            password = generate_password()
            student = create_user(
                username=row.username,
                display_name=row.display_name,
                password=password,
                role=RoleName.STUDENT,
                email=row.email,
                actor=by,
                must_change_password=True,
                commit=False,
            )
            db.session.add(Enrollment(classroom=classroom, student=student))
            credentials.append(ImportedCredential(student.display_name, student.username, password))
        db.session.commit()
    except ServiceError:
        db.session.rollback()
        raise
    except IntegrityError:
        # Someone took one of these usernames or emails between the check and the commit.
        db.session.rollback()
        raise Conflict(
            _(
                "A username or email address of this roster was taken while it was imported. "
                "Nothing was imported; check the file again."
            )
        ) from None
    return credentials


def roster_text(data: bytes | str) -> tuple[str, str | None]:
    """The roster as text with plain line ends, or an explanation of why it cannot be read.

    Bytes are read as UTF-8 (with or without a byte-order mark), else as Windows-1252, as
    Excel saves CSV files. Raises :class:`RosterTooLarge` over :data:`ROSTER_MAX_BYTES`.
    """
    if isinstance(data, bytes):
        _refuse_if_too_large(len(data))
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "", _not_plain_text()
        try:
            text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                return "", _not_plain_text()
    else:
        text = data.removeprefix("\ufeff")
    # Browsers send form fields back with CRLF line ends; one form keeps the size the same.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _refuse_if_too_large(len(text.encode("utf-8")))
    if "\x00" in text:
        return "", _not_plain_text()
    if not text.strip():
        return "", _("The file is empty.")
    return text, None


def _refuse_if_too_large(size: int) -> None:
    if size > ROSTER_MAX_BYTES:
        raise RosterTooLarge(
            _(
                "The file is larger than %(limit)d KB. Split the roster into smaller files.",
                limit=ROSTER_MAX_BYTES // 1024,
            ),
            field="roster_file",
        )


def _not_plain_text() -> str:
    return _(
        "The file is not CSV text this import can read (it may be a spreadsheet file). "
        "Save it from your spreadsheet as “CSV UTF-8” and upload that."
    )


def detect_delimiter(text: str) -> str:
    """Comma or semicolon, as :class:`csv.Sniffer` finds in the first lines (comma if unsure)."""
    sample = "\n".join(text.split("\n", 20)[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;").delimiter
    except csv.Error:
        return ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record of the file with the line it starts on, cells trimmed."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    previous_line = 0
    for record in reader:
        yield previous_line + 1, [cell.strip() for cell in record]
        previous_line = reader.line_num


def _read_roster(text: str) -> RosterPreview:
    """Read the header and rows of ``text`` and check every row."""
    try:
        records = [
            (line, cells) for line, cells in _records(text, detect_delimiter(text)) if any(cells)
        ]
    except csv.Error as error:
        message = _("The file could not be read as CSV: %(error)s.", error=error)
        return RosterPreview(text=text, errors=(message,))
    if not records:
        return RosterPreview(text=text, errors=(_("The file is empty."),))
    header_cells = records[0][1]
    header: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        key = column_key(cell)
        if key in header:
            message = _("The column “%(column)s” appears twice in the header row.", column=cell)
            return RosterPreview(text=text, errors=(message,))
        if key:
            header[key] = index

    spec, problem = _choose_layout(header, header_cells)
    if spec is None:
        return RosterPreview(text=text, errors=(problem,))
    drafts, notes = _drafts(spec, header, records[1:])
    notes = _ignored_columns(spec, header_cells) + notes
    errors: tuple[str, ...] = ()
    if not drafts:
        errors = (_("The file has a header row but no students."),)
    elif len(drafts) > ROSTER_MAX_ROWS:
        errors = (
            ngettext(
                "The file has %(num)d student; at most %(limit)d can be imported at once. "
                "Split it into smaller files.",
                "The file has %(num)d students; at most %(limit)d can be imported at once. "
                "Split it into smaller files.",
                len(drafts),
                limit=ROSTER_MAX_ROWS,
            ),
        )
    rows = () if errors else _checked(drafts)
    return RosterPreview(
        text=text, layout=spec.layout, rows=rows, errors=errors, notes=tuple(notes)
    )


def _choose_layout(
    header: dict[str, int], header_cells: list[str]
) -> tuple[LayoutSpec | None, str]:
    """The layout the header row names, or None and what is missing or unrecognised."""
    for spec in LAYOUTS:
        if not spec.missing(header):
            return spec, ""
    # The closest layout is the one with most of its required columns (the first on a tie).
    found, closest = max(
        ((len(spec.required) - len(spec.missing(header)), spec) for spec in LAYOUTS),
        key=lambda pair: pair[0],
    )
    if found == 0:
        return None, _(
            "The first row is not a header row this import knows. It should name the columns, "
            "for example: first name, last name, username, email. It reads: %(cells)s.",
            cells=", ".join(cell for cell in header_cells if cell),
        )
    missing = closest.missing(header)
    return None, ngettext(
        "This looks like a %(layout)s, but the column %(columns)s is missing.",
        "This looks like a %(layout)s, but the columns %(columns)s are missing.",
        len(missing),
        layout=closest.label,
        columns=in_words([f"“{group}”" for group in missing]),
    )


def _ignored_columns(spec: LayoutSpec, header_cells: list[str]) -> list[str]:
    """A note naming the columns of the header row that the layout does not read."""
    known = spec.known()
    ignored = [f"“{cell}”" for cell in header_cells if cell and column_key(cell) not in known]
    if not ignored:
        return []
    shown = ignored[:IGNORED_COLUMNS_SHOWN]
    if len(ignored) > IGNORED_COLUMNS_SHOWN:
        more = len(ignored) - IGNORED_COLUMNS_SHOWN
        shown.append(ngettext("%(num)d more", "%(num)d more", more))
    columns = in_words(shown)
    return [
        ngettext(
            "This column is ignored: %(columns)s.",
            "These columns are ignored: %(columns)s.",
            len(ignored),
            columns=columns,
        )
    ]


@dataclass
class _Draft:
    """A row being checked: what the file says, and the problems found so far."""

    line: int
    first_name: str
    last_name: str
    username: str
    email: str | None
    errors: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def frozen(self) -> RosterRow:
        return RosterRow(
            self.line,
            self.first_name,
            self.last_name,
            self.username,
            self.email,
            tuple(self.errors),
        )


def _drafts(
    spec: LayoutSpec, header: dict[str, int], records: Sequence[tuple[int, list[str]]]
) -> tuple[list[_Draft], list[str]]:
    """The student rows of ``records`` in ``spec``'s layout, and notes on rows skipped."""
    known_keys = spec.known()
    known = [index for key, index in header.items() if key in known_keys]
    drafts, notes = [], []
    for line, cells in records:
        values = {key: cells[index] for key, index in header.items() if index < len(cells)}
        if not any(index < len(cells) and cells[index] for index in known):
            # Totals and posting-policy rows of gradebook exports leave the names empty.
            continue
        if spec.layout is RosterLayout.SIMPLE:
            drafts.append(_simple_row(line, values))
        elif spec.layout is RosterLayout.GOOGLE_CLASSROOM:
            drafts.append(_google_row(line, values))
        else:
            student = values.get("student", "").lower()
            if student == CANVAS_POINTS_POSSIBLE:
                notes.append(
                    _("Line %(line)d is Canvas's “Points Possible” row; it is skipped.", line=line)
                )
            elif student == CANVAS_TEST_STUDENT:
                notes.append(_("Line %(line)d is Canvas's test student; it is skipped.", line=line))
            else:
                drafts.append(_canvas_row(line, values))
    return drafts, notes


def _simple_row(line: int, values: dict[str, str]) -> _Draft:
    return _draft(
        line,
        first_name=values.get("firstname", ""),
        last_name=values.get("lastname", ""),
        username=values.get("username", ""),
        email=values.get("email", ""),
    )


def _google_row(line: int, values: dict[str, str]) -> _Draft:
    # Students sign in to Google with their school address; its local part is the username.
    email = values.get("emailaddress", "")
    return _draft(
        line,
        first_name=values.get("firstname", ""),
        last_name=values.get("lastname", ""),
        username=email.partition("@")[0],
        email=email,
        username_missing=_("email address missing"),
    )


def _canvas_row(line: int, values: dict[str, str]) -> _Draft:
    # Canvas writes "Last, First"; the SIS Login ID is often a school email address.
    student = values.get("student", "")
    last_name, comma, first_name = student.partition(",")
    login = values.get("sisloginid", "").partition("@")[0] or values.get("sisuserid", "")
    return _draft(
        line,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        username=login,
        email="",
        name_problem=None if comma or not student else _("the name should read “Last, First”"),
        username_missing=_("SIS Login ID and SIS User ID missing"),
    )


def _draft(
    line: int,
    *,
    first_name: str,
    last_name: str,
    username: str,
    email: str,
    name_problem: str | None = None,
    username_missing: str | None = None,
) -> _Draft:
    """A row with the problems it has on its own (duplicates are found later)."""
    row = _Draft(line, first_name, last_name, normalize_username(username), email.lower() or None)
    if name_problem:
        row.errors.append(name_problem)
    else:
        if not first_name:
            row.errors.append(_("first name missing"))
        if not last_name:
            row.errors.append(_("last name missing"))
    if len(row.display_name) > DISPLAY_NAME_MAX_LENGTH:
        row.errors.append(
            ngettext(
                "name longer than %(num)d character",
                "name longer than %(num)d characters",
                DISPLAY_NAME_MAX_LENGTH,
            )
        )
    if not row.username:
        row.errors.append(username_missing or _("username missing"))
    elif not USERNAME_PATTERN.match(row.username):
        row.errors.append(
            _(
                "username “%(username)s” is not valid: use 3 to 40 letters, digits, dots, "
                "dashes or underscores, starting with a letter or digit",
                username=row.username,
            )
        )
    if row.email is not None:
        try:
            validate_email(row.email, check_deliverability=False)
        except EmailNotValidError:
            row.errors.append(_("email address “%(email)s” is not valid", email=email))
            row.email = None
    return row


def _checked(drafts: list[_Draft]) -> tuple[RosterRow, ...]:
    """Add the problems rows have together: duplicates in the file and in the database."""
    usable = [row for row in drafts if USERNAME_PATTERN.match(row.username)]
    _flag_duplicates(
        usable,
        key=lambda row: row.username,
        message=lambda row, lines: ngettext(
            "username “%(username)s” is also on line %(lines)s",
            "username “%(username)s” is also on lines %(lines)s",
            len(lines),
            username=row.username,
            lines=", ".join(map(str, lines)),
        ),
    )
    usernames = {row.username for row in usable}
    taken = set(db.session.scalars(select(User.username).where(User.username.in_(usernames))))
    for row in usable:
        if row.username in taken:
            row.errors.append(_("username “%(username)s” is already taken", username=row.username))

    with_email = [row for row in drafts if row.email]
    _flag_duplicates(
        with_email,
        key=lambda row: row.email or "",
        message=lambda row, lines: ngettext(
            "email address “%(email)s” is also on line %(lines)s",
            "email address “%(email)s” is also on lines %(lines)s",
            len(lines),
            email=row.email,
            lines=", ".join(map(str, lines)),
        ),
    )
    emails = {row.email for row in with_email}
    in_use = set(
        db.session.scalars(select(func.lower(User.email)).where(func.lower(User.email).in_(emails)))
    )
    for row in with_email:
        if row.email in in_use:
            row.errors.append(_("email address “%(email)s” is already in use", email=row.email))
    return tuple(row.frozen() for row in drafts)


def _flag_duplicates(
    rows: list[_Draft],
    *,
    key: Callable[[_Draft], str],
    message: Callable[[_Draft, list[int]], str],
) -> None:
    """Tell each row that shares ``key`` with other rows on which lines those are."""
    lines_by_value: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        lines_by_value[key(row)].append(row.line)
    for row in rows:
        others = [line for line in lines_by_value[key(row)] if line != row.line]
        if others:
            row.errors.append(message(row, others))


def credentials_csv(
    credentials: Sequence[ImportedCredential], *, sign_in_url: str | None = None
) -> str:
    """The credentials as CSV text with a byte-order mark (so Excel reads accents correctly)."""
    output = io.StringIO()
    writer = csv.writer(output)
    header = [_("Name"), _("Username"), _("One-time password")]
    writer.writerow(header + ([_("Sign-in address")] if sign_in_url else []))
    for credential in credentials:
        cells = [credential.display_name, credential.username, credential.password]
        cells += [sign_in_url] if sign_in_url else []
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return "\ufeff" + output.getvalue()
