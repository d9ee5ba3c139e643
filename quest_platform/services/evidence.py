"""Evidence: checkpoint screenshots, checked and kept outside the web root."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from quest_platform.extensions import db
from quest_platform.models import Attempt, EvidenceFile
from quest_platform.services.errors import ServiceError

# The largest screenshot kept, in bytes; a full-HD PNG screenshot is usually well under it.
MAX_SCREENSHOT_BYTES = 4 * 1024 * 1024
# Larger images are refused before they are decoded (a "decompression bomb" guard).
MAX_SCREENSHOT_PIXELS = 40_000_000
MAX_ALT_TEXT_LENGTH = 500
# Pillow's format names, and the type and suffix each is kept and served as.
KEPT_FORMATS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg")}


@dataclass(frozen=True)
class Screenshot:
    """An uploaded screenshot as the student sent it: the file's bytes and its alt text."""

    data: bytes
    alt_text: str


@dataclass(frozen=True)
class CheckedScreenshot:
    """A screenshot that is a readable PNG or JPEG within the limits, with a description."""

    data: bytes
    alt_text: str
    content_type: str
    suffix: str
    width: int
    height: int


def check_screenshot(screenshot: Screenshot) -> CheckedScreenshot:
    """Check that ``screenshot`` is a PNG or JPEG image within the limits, described in words.

    Refused with a message naming the problem (field ``screenshot`` or ``alt_text``): no alt
    text, alt text too long, a file over MAX_SCREENSHOT_BYTES, or one that is not a whole PNG or
    JPEG image, whatever its name says.
    """
    alt_text = " ".join(screenshot.alt_text.split())
    if not alt_text:
        raise ServiceError(
            _("Describe your screenshot in words, for classmates who cannot see it."),
            field="alt_text",
        )
    if len(alt_text) > MAX_ALT_TEXT_LENGTH:
        raise ServiceError(
            _("Keep it under %(max)d characters.", max=MAX_ALT_TEXT_LENGTH), field="alt_text"
        )
    if not screenshot.data:
        raise ServiceError(_("Choose a screenshot to upload."), field="screenshot")
    if len(screenshot.data) > MAX_SCREENSHOT_BYTES:
        raise ServiceError(
            _(
                "The screenshot is too large: keep it under %(size)d MB.",
                size=MAX_SCREENSHOT_BYTES // (1024 * 1024),
            ),
            field="screenshot",
        )
    not_an_image = ServiceError(
        _("The screenshot must be a PNG or JPEG image."), field="screenshot"
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on huge images; both mean "refuse".
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(screenshot.data)) as image:
                kept = KEPT_FORMATS.get(image.format or "")
                if kept is None or image.width * image.height > MAX_SCREENSHOT_PIXELS:
                    raise not_an_image
                width, height = image.size
                # verify() reads the whole file: a truncated or corrupt image is refused here.
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        raise not_an_image from error
    content_type, suffix = kept
    return CheckedScreenshot(
        data=screenshot.data,
        alt_text=alt_text,
        content_type=content_type,
        suffix=suffix,
        width=width,
        height=height,
    )


def upload_folder() -> Path:
    """The folder screenshots are kept in: outside the static folder, never served directly."""
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def path_of(evidence: EvidenceFile) -> Path:
    """Where the file of ``evidence`` is kept."""
    return upload_folder() / evidence.stored_name


def keep_screenshot(*, attempt: Attempt, screenshot: CheckedScreenshot) -> EvidenceFile:
    """Write ``screenshot`` to the upload folder and record it on ``attempt`` (not committed).

    The caller commits; if its commit fails it calls :func:`discard_file` so that no file is
    left without its row.
    """
    evidence = EvidenceFile(
        attempt_id=attempt.id,
        student_id=attempt.student_id,
        # A random name: never the student's file name, never guessable.
        stored_name=secrets.token_urlsafe(24) + screenshot.suffix,
        content_type=screenshot.content_type,
        size_bytes=len(screenshot.data),
        width=screenshot.width,
        height=screenshot.height,
        alt_text=screenshot.alt_text,
        created_at=attempt.submitted_at,
    )
    path = path_of(evidence)
    path.write_bytes(screenshot.data)
    path.chmod(0o600)
    db.session.add(evidence)
    return evidence


def discard_file(evidence: EvidenceFile) -> None:
    """Remove the file of an evidence row that was not stored after all."""
    path_of(evidence).unlink(missing_ok=True)
