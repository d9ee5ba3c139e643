"""Evidence: checkpoint screenshots, checked, redrawn from their pixels, kept off the web root."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from PIL import Image, ImageOps

from quest_platform.extensions import db
from quest_platform.files import write_whole
from quest_platform.models import Attempt, EvidenceFile
from quest_platform.services.errors import ServiceError

# The largest screenshot kept, in bytes; a full-HD PNG screenshot is usually well under it.
MAX_SCREENSHOT_BYTES = 4 * 1024 * 1024
# Larger images are refused before they are decoded (a "decompression bomb" guard): a 4 MB file
# can hold a billion pixels of one colour. 40 million is a 12,000 x 3,300 screenshot, or a
# phone's photo several times over.
MAX_SCREENSHOT_PIXELS = 40_000_000
MAX_ALT_TEXT_LENGTH = 500
# Pillow's format names, and the format each is kept in. A phone's JPEG often carries a second,
# smaller picture after the photo (Pillow reads it as MPO): the photo is kept. A GIF (a screen
# recording, a meme-maker's export) is kept as a PNG of its first frame.
KEPT_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "GIF": "PNG"}
# The decoders that ever read an upload, whatever else Pillow can open.
READ_FORMATS = ["PNG", "JPEG", "GIF"]
# The brands an HEIF file (an iPhone's HEIC photo) names in its first box: read to say what to
# do instead, as the platform does not decode them.
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
# The type and suffix each kept format is recorded and served as.
STORED_AS = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg")}
# The modes each format is written in as they are; any other is converted first.
WRITTEN_MODES = {"PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"}, "JPEG": {"L", "RGB"}}
# Text in a screenshot stays readable at this quality.
JPEG_QUALITY = 90
# zlib's level 3 writes a typical screenshot about 15% larger than Pillow's default (6), in
# half to a third of the time on large or noisy images, which a request waits for.
PNG_COMPRESSION = 3


@dataclass(frozen=True)
class Screenshot:
    """An uploaded screenshot as the student sent it: the file's bytes and its alt text."""

    data: bytes
    alt_text: str


@dataclass(frozen=True)
class CheckedScreenshot:
    """A screenshot redrawn as a new PNG or JPEG file (``data``), with its description.

    Only the pixels of the upload remain, turned upright: no metadata (EXIF with its GPS
    position, text chunks, comments, colour profile), nothing appended to the image.
    """

    data: bytes
    alt_text: str
    content_type: str
    suffix: str
    width: int
    height: int


def check_screenshot(screenshot: Screenshot) -> CheckedScreenshot:
    """Check that ``screenshot`` is a PNG, JPEG or GIF image within the limits, described in
    words, and redraw it from its pixels alone (see :class:`CheckedScreenshot`).

    Refused with a message naming the problem and what to do (field ``screenshot`` or
    ``alt_text``): no alt text, alt text too long, a file over MAX_SCREENSHOT_BYTES or
    MAX_SCREENSHOT_PIXELS, an HEIC photo, or a file that is not a whole PNG, JPEG or GIF image,
    whatever its name says.
    """
    alt_text = " ".join(screenshot.alt_text.split())
    if not alt_text:
        raise ServiceError(
            _("Describe your screenshot in words, for classmates who cannot see it."),
            field="alt_text",
        )
    if len(alt_text) > MAX_ALT_TEXT_LENGTH:
        raise ServiceError(
            ngettext(
                "Keep it under %(num)d character.",
                "Keep it under %(num)d characters.",
                MAX_ALT_TEXT_LENGTH,
            ),
            field="alt_text",
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
    if is_heif(screenshot.data):
        raise ServiceError(
            _(
                "This is a HEIC photo (the iPhone's own format), which the platform cannot read."
                " Upload a PNG or JPEG instead: take a screenshot (screenshots are PNG), or on a"
                " Mac open the photo in Preview and choose File, Export, JPEG."
            ),
            field="screenshot",
        )
    kept, data, (width, height) = redrawn(screenshot.data)
    content_type, suffix = STORED_AS[kept]
    return CheckedScreenshot(
        data=data,
        alt_text=alt_text,
        content_type=content_type,
        suffix=suffix,
        width=width,
        height=height,
    )


def is_heif(data: bytes) -> bool:
    """Whether ``data`` starts as an HEIF file does (HEIC, AVIF): a "ftyp" box naming its brand."""
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def redrawn(data: bytes) -> tuple[str, bytes, tuple[int, int]]:
    """The format ``data`` is kept in, a new file of it holding only its pixels, and its size.

    The image is turned as its EXIF orientation says (a phone photo is stored upright), then
    written without any of the file's metadata; a GIF gives its first frame. Refused
    (ServiceError) unless ``data`` is a whole PNG, JPEG or GIF image of at most
    MAX_SCREENSHOT_PIXELS.
    """
    not_an_image = ServiceError(
        _(
            "The screenshot must be a PNG, JPEG or GIF image. Take a screenshot (it is saved as"
            " PNG), or save the picture as PNG or JPEG, then choose it again."
        ),
        field="screenshot",
    )
    too_many_pixels = ServiceError(
        ngettext(
            "The screenshot has too many pixels: keep it under %(num)d million.",
            "The screenshot has too many pixels: keep it under %(num)d million.",
            MAX_SCREENSHOT_PIXELS // 1_000_000,
        ),
        field="screenshot",
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns, then raises, on images far beyond the limit; both mean "refuse".
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=READ_FORMATS) as image:
                kept = KEPT_FORMATS.get(image.format or "")
                if kept is None:
                    raise not_an_image
                if image.width * image.height > MAX_SCREENSHOT_PIXELS:
                    raise too_many_pixels
                # Decodes every pixel (a truncated or corrupt file is refused here) and turns
                # the image upright, in place: a photo is large enough without a copy.
                ImageOps.exif_transpose(image, in_place=True)
                return kept, written(image, kept), image.size
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise too_many_pixels from error
    except Exception as error:
        # A crafted file makes Pillow's decoders fail in many ways (OSError, ValueError,
        # SyntaxError, struct.error...): each means it is not an image the platform keeps.
        raise not_an_image from error


def written(image: Image.Image, kept: str) -> bytes:
    """A new ``kept`` file of ``image``'s pixels alone."""
    if "transparency" in image.info:
        # Transparency of a palette or a colour is read from the metadata dropped below.
        image = image.convert("RGBA")
    image.info = {}
    if image.mode not in WRITTEN_MODES[kept]:
        image = image.convert("RGBA" if kept == "PNG" and image.has_transparency_data else "RGB")
    output = io.BytesIO()
    if kept == "JPEG":
        image.save(output, format="JPEG", quality=JPEG_QUALITY)
    else:
        image.save(output, format="PNG", compress_level=PNG_COMPRESSION)
    return output.getvalue()


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
    write_whole(path_of(evidence), screenshot.data)
    db.session.add(evidence)
    return evidence


def discard_file(evidence: EvidenceFile) -> None:
    """Remove the file of an evidence row that was not stored after all."""
    path_of(evidence).unlink(missing_ok=True)
