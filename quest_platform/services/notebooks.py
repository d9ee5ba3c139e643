"""Notebooks: importing one as a draft quest with its lesson images, and exporting a quest.

The notebook is read by ``quest_platform.notebooks.reading`` into a plan; importing applies that
plan in one transaction (all or nothing: any problem and nothing is saved, no file is left).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quest_platform.extensions import db
from quest_platform.files import write_whole
from quest_platform.models import LessonImage, Quest, QuestStatus, User
from quest_platform.notebooks.plan import PLANNED_IMAGE, NotebookImage, NotebookPlan
from quest_platform.notebooks.reading import read_notebook
from quest_platform.notebooks.vocabulary import LESSON_IMAGE_PREFIX
from quest_platform.notebooks.writing import ImageFile, notebook_bytes, notebook_of
from quest_platform.services.audit import record_change
from quest_platform.services.errors import Conflict, ServiceError, undone_on_error
from quest_platform.services.evidence import upload_folder
from quest_platform.services.quests import (
    SLUG_BASE_LENGTH,
    SLUG_PATTERN,
    slug_from_title,
    stage_from,
    unused_slug,
)

# A stored lesson image's name: random, with the suffix of its type.
STORED_NAME = re.compile(r"^[\w-]{20,60}\.(?:png|jpg)$")


class NotebookNotImported(ServiceError):
    """The notebook has problems; ``plan`` holds them all, each with its cell."""

    status_code = 422

    def __init__(self, plan: NotebookPlan) -> None:
        super().__init__(
            ngettext(
                "The notebook was not imported: it has %(num)d problem.",
                "The notebook was not imported: it has %(num)d problems.",
                len(plan.problems),
            )
        )
        self.plan = plan


def preview_notebook(
    *, data: bytes, file_name: str, alt_texts: Mapping[str, str] | None = None
) -> NotebookPlan:
    """What importing the notebook would make, writing nothing."""
    return read_notebook(data, file_name=file_name, alt_texts=alt_texts)


@undone_on_error
def import_notebook(
    *,
    data: bytes,
    file_name: str,
    by: User | None,
    alt_texts: Mapping[str, str] | None = None,
) -> Quest:
    """Make a draft quest of the notebook in ``data``, with its stages and lesson images.

    The quest is a draft whatever it holds: publishing checks it (6–8 complete stages, every
    image described, code solutions passing their tests). Refused with NotebookNotImported,
    nothing saved, while the notebook has any problem.
    """
    plan = read_notebook(data, file_name=file_name, alt_texts=alt_texts)
    if plan.problems:
        raise NotebookNotImported(plan)
    quest = Quest(
        slug=unused_slug(plan.slug if is_slug(plan.slug) else slug_from_title(plan.title)),
        title=plan.title,
        theme=plan.theme[:80],
        summary=plan.summary,
        status=QuestStatus.DRAFT.value,
        author=by,
    )
    db.session.add(quest)
    written: list[Path] = []
    try:
        db.session.flush()
        addresses = {image.number: keep_image(quest, image, written) for image in plan.images}
        quest.stages = [
            stage_from(replace(draft, content=with_addresses(draft.content, addresses)), position)
            for position, draft in enumerate(plan.stages, start=1)
        ]
        record_change(actor=by, action="import", record=quest)
        db.session.commit()
    except BaseException as error:
        for path in written:
            path.unlink(missing_ok=True)
        if isinstance(error, IntegrityError) and "slug" in str(error.orig):
            # Another quest took the address between the check and this insert.
            raise Conflict(
                _("Another quest took this quest's address at the same moment. Import it again.")
            ) from None
        raise
    return quest


@undone_on_error
def import_pending_notebook(
    *,
    token: str,
    file_name: str,
    by: User,
    alt_texts: Mapping[str, str] | None = None,
) -> Quest:
    """Import the notebook ``by`` uploaded under ``token`` (see :func:`keep_pending_notebook`),
    once: the upload is taken before the import, so a form sent twice imports one quest and
    the second is refused (Conflict). A refused import leaves the upload waiting again."""
    waiting = pending_path(token=token, by=by)
    taken = waiting.with_suffix(".importing") if waiting else None
    try:
        # A rename is atomic: of two requests, one takes the file and the other finds none.
        if waiting is None or taken is None:
            raise FileNotFoundError
        waiting.rename(taken)
    except FileNotFoundError:
        raise Conflict(
            _("That notebook is no longer waiting to be imported: upload it again.")
        ) from None
    try:
        quest = import_notebook(
            data=taken.read_bytes(), file_name=file_name, by=by, alt_texts=alt_texts
        )
    except BaseException:
        taken.rename(waiting)
        raise
    taken.unlink()
    return quest


def is_slug(slug: str) -> bool:
    """Whether ``slug`` (from the notebook's metadata) can be a quest's address, numbered."""
    return bool(SLUG_PATTERN.match(slug)) and len(slug) <= SLUG_BASE_LENGTH


def keep_image(quest: Quest, planned: NotebookImage, written: list[Path]) -> str:
    """Write one planned image to the upload folder and record it (not committed); its address.
    ``written`` collects the files written, for the caller to remove if its commit fails."""
    image = LessonImage(
        quest_id=quest.id,
        # A random name: never the notebook's, never guessable.
        stored_name=secrets.token_urlsafe(24) + planned.suffix,
        file_name=planned.name[:255],
        content_type=planned.content_type,
        size_bytes=len(planned.data),
        width=planned.width,
        height=planned.height,
    )
    path = lesson_image_folder() / image.stored_name
    write_whole(path, planned.data)
    written.append(path)
    db.session.add(image)
    return LESSON_IMAGE_PREFIX + image.stored_name


def with_addresses(text: str, addresses: Mapping[int, str]) -> str:
    """``text`` with each planned image pointing at the address it was stored at."""
    return PLANNED_IMAGE.sub(lambda match: f"({addresses[int(match.group(1))]}", text)


def lesson_image_folder() -> Path:
    """Where lesson images are kept: a folder of the upload folder."""
    folder = upload_folder() / "lesson-images"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def lesson_image(stored_name: str) -> tuple[LessonImage, Path] | None:
    """The lesson image stored as ``stored_name`` and its file, if both exist."""
    if not STORED_NAME.match(stored_name):
        return None
    image = db.session.scalar(select(LessonImage).where(LessonImage.stored_name == stored_name))
    if image is None:
        return None
    path = lesson_image_folder() / image.stored_name
    return (image, path) if path.is_file() else None


def exported_notebook(*, quest: Quest) -> bytes:
    """``quest`` as a notebook file (.ipynb), its lesson images attached."""
    names = set(re.findall(re.escape(LESSON_IMAGE_PREFIX) + r"([\w-]+\.\w+)", all_text(quest)))
    images = {}
    for image in db.session.scalars(
        select(LessonImage).where(LessonImage.stored_name.in_(sorted(names)))
    ):
        path = lesson_image_folder() / image.stored_name
        if path.is_file():
            images[image.stored_name] = ImageFile(
                image.file_name, image.content_type, path.read_bytes()
            )
    return notebook_bytes(notebook_of(quest, images=images))


def all_text(quest: Quest) -> str:
    return "\n".join(stage.content for stage in quest.stages)


def export_file_name(quest: Quest) -> str:
    """The name an exported notebook is downloaded as."""
    return f"{quest.slug}.ipynb"


# A notebook between its preview and its import waits in the upload folder, named by its
# uploader and a random token, so that only they can import it (and any app process can).
UPLOAD_TOKEN = re.compile(r"^[\w-]{16,64}$")


def pending_folder() -> Path:
    folder = upload_folder() / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_pending_notebook(*, data: bytes, by: User) -> str:
    """Keep an uploaded notebook until its import (replacing the uploader's previous one);
    the token that names it."""
    discard_pending_notebooks(by=by)
    token = secrets.token_urlsafe(24)
    write_whole(pending_folder() / f"{by.id}-{token}.ipynb", data)
    return token


def pending_path(*, token: str, by: User) -> Path | None:
    """Where the notebook ``by`` uploaded under ``token`` waits (None for a malformed token)."""
    if not UPLOAD_TOKEN.match(token):
        return None
    return pending_folder() / f"{by.id}-{token}.ipynb"


def pending_notebook(*, token: str, by: User) -> bytes | None:
    """The notebook ``by`` uploaded under ``token``, if it is still waiting."""
    path = pending_path(token=token, by=by)
    return path.read_bytes() if path is not None and path.is_file() else None


def discard_pending_notebooks(*, by: User) -> None:
    """Remove the notebooks ``by`` uploaded and did not import."""
    for path in pending_folder().glob(f"{by.id}-*.ipynb"):
        path.unlink(missing_ok=True)
