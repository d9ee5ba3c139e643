"""Screenshots are redrawn from their pixels: nothing else of the uploaded file is kept."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageCms
from PIL.PngImagePlugin import PngInfo

from quest_platform.services import ServiceError
from quest_platform.services.evidence import (
    CheckedScreenshot,
    Screenshot,
    check_screenshot,
)

# Pure functions: the database engine plays no part, so the PostgreSQL run leaves them out.
pytestmark = pytest.mark.engine_independent

SECRET = "secret-marker-8f3a"
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PILLOW_FORMAT = {"image/png": "PNG", "image/jpeg": "JPEG"}


def encoded(image: Image.Image, kind: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def halves(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """An image red on its left half, blue on its right: which way is up can be read off it."""
    image = Image.new(mode, size, (220, 20, 20))
    image.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return image


def phone_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: its maker, the orientation and where the photo was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 46.0, 29.7)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (122.0, 25.0, 9.8)
    return exif


def checked(data: bytes) -> CheckedScreenshot:
    return check_screenshot(Screenshot(data=data, alt_text="My login page"))


def reopened(screenshot: CheckedScreenshot) -> Image.Image:
    """The stored file, opened as the type it is recorded as (and nothing else)."""
    image = Image.open(
        io.BytesIO(screenshot.data), formats=[PILLOW_FORMAT[screenshot.content_type]]
    )
    image.load()
    return image


def assert_no_metadata(screenshot: CheckedScreenshot) -> None:
    assert SECRET.encode() not in screenshot.data
    image = reopened(screenshot)
    assert not image.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp", "Comment", "Author"} & set(image.info)
    assert b"Exif" not in screenshot.data


def red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 150 and pixel[2] < 100


def test_a_png_followed_by_html_is_stored_without_it():
    screenshot = checked(encoded(halves()) + HTML)

    assert HTML not in screenshot.data
    assert b"<script" not in screenshot.data
    assert screenshot.data.endswith(b"IEND\xaeB`\x82")
    assert screenshot.content_type == "image/png"
    assert ImageChops.difference(reopened(screenshot), halves()).getbbox() is None


def test_a_jpeg_followed_by_html_is_stored_without_it():
    screenshot = checked(encoded(halves(), "JPEG") + HTML)

    assert b"<script" not in screenshot.data
    assert screenshot.data.endswith(b"\xff\xd9")
    assert screenshot.content_type == "image/jpeg"


def test_a_phone_photo_is_stored_without_any_exif_and_its_gps_position():
    original = encoded(halves(), "JPEG", exif=phone_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    screenshot = checked(original)

    assert_no_metadata(screenshot)
    assert screenshot.content_type == "image/jpeg"


@pytest.mark.parametrize("kind", ["JPEG", "PNG"])
@pytest.mark.parametrize(
    ("orientation", "size", "red_at", "blue_at"),
    [
        (1, (40, 20), (5, 10), (35, 10)),
        # Turned a quarter clockwise to be seen: the left half ends up on top.
        (6, (20, 40), (10, 5), (10, 35)),
        # A quarter anticlockwise: the left half ends up at the bottom.
        (8, (20, 40), (10, 35), (10, 5)),
        (3, (40, 20), (35, 10), (5, 10)),
    ],
)
def test_a_photo_is_stored_the_way_up_its_exif_says_then_without_it(
    kind, orientation, size, red_at, blue_at
):
    screenshot = checked(encoded(halves(), kind, exif=phone_exif(orientation)))

    image = reopened(screenshot).convert("RGB")
    assert image.size == (screenshot.width, screenshot.height) == size
    assert red(image.getpixel(red_at))
    assert not red(image.getpixel(blue_at))
    assert_no_metadata(screenshot)


def test_text_chunks_a_colour_profile_and_exif_of_a_png_are_dropped():
    text = PngInfo()
    text.add_text("Comment", SECRET)
    text.add_text("Author", SECRET, zip=True)
    text.add_itxt("Description", SECRET, lang="en")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encoded(halves(), pnginfo=text, icc_profile=srgb, exif=phone_exif())

    screenshot = checked(original)

    assert_no_metadata(screenshot)
    assert ImageChops.difference(reopened(screenshot), halves()).getbbox() is None


def test_a_comment_xmp_and_colour_profile_of_a_jpeg_are_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{SECRET}</x:xmpmeta>'.encode()
    original = encoded(halves(), "JPEG", comment=SECRET, icc_profile=srgb, xmp=xmp)
    assert SECRET.encode() in original

    assert_no_metadata(checked(original))


def palette_with_transparency() -> bytes:
    image = Image.new("P", (30, 30), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(0, (0, 0, 15, 30))
    return encoded(image, transparency=0)


def mpo() -> bytes:
    """A phone's JPEG with a second picture after the photo (Pillow reads it as MPO)."""
    return encoded(halves(), "MPO", save_all=True, append_images=[halves((20, 10))])


def apng() -> bytes:
    frames = [halves(), Image.new("RGB", (40, 20), (0, 200, 0))]
    return encoded(frames[0], save_all=True, append_images=frames[1:])


@pytest.mark.parametrize(
    ("original", "content_type"),
    [
        (encoded(halves()), "image/png"),
        (encoded(halves(mode="RGBA")), "image/png"),
        (encoded(halves().convert("L")), "image/png"),
        (encoded(halves().convert("1")), "image/png"),
        (encoded(halves().quantize(4)), "image/png"),
        (palette_with_transparency(), "image/png"),
        (encoded(Image.new("I;16", (30, 20), 40000)), "image/png"),
        (encoded(halves().convert("LA")), "image/png"),
        (apng(), "image/png"),
        (encoded(halves(), "JPEG"), "image/jpeg"),
        (encoded(halves().convert("L"), "JPEG"), "image/jpeg"),
        (encoded(halves().convert("CMYK"), "JPEG"), "image/jpeg"),
        (encoded(halves(), "JPEG", progressive=True), "image/jpeg"),
        (mpo(), "image/jpeg"),
    ],
    ids=[
        "PNG",
        "PNG with alpha",
        "grey PNG",
        "black and white PNG",
        "palette PNG",
        "palette PNG with transparency",
        "16-bit PNG",
        "grey PNG with alpha",
        "animated PNG",
        "JPEG",
        "grey JPEG",
        "CMYK JPEG",
        "progressive JPEG",
        "JPEG with a second picture",
    ],
)
def test_the_stored_file_reopens_as_the_type_it_is_recorded_as(original, content_type):
    screenshot = checked(original)

    image = reopened(screenshot)
    assert screenshot.content_type == content_type
    assert screenshot.suffix == {"image/png": ".png", "image/jpeg": ".jpg"}[content_type]
    assert image.size == (screenshot.width, screenshot.height)
    assert getattr(image, "n_frames", 1) == 1


def test_transparency_is_kept():
    image = reopened(checked(palette_with_transparency())).convert("RGBA")
    assert image.getpixel((5, 5))[3] == 0
    assert image.getpixel((25, 5)) == (255, 0, 0, 255)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (HTML, "must be a PNG, JPEG or GIF"),
        (b"\x89PNG\r\n\x1a\n" + HTML, "must be a PNG, JPEG or GIF"),
        (encoded(halves(), "GIF")[:-20], "must be a PNG, JPEG or GIF"),
        (encoded(halves(), "BMP"), "must be a PNG, JPEG or GIF"),
        (encoded(halves(), "TIFF"), "must be a PNG, JPEG or GIF"),
        (encoded(halves(), "WEBP"), "must be a PNG, JPEG or GIF"),
        (encoded(halves())[:-30], "must be a PNG, JPEG or GIF"),
        (encoded(halves(), "JPEG")[:-100], "must be a PNG, JPEG or GIF"),
        (encoded(Image.new("1", (8000, 6000))), "too many pixels"),
        # Beyond Pillow's own guard, which refuses it while reading the header.
        (encoded(Image.new("1", (20_000, 10_000))), "too many pixels"),
    ],
    ids=[
        "HTML",
        "HTML after a PNG signature",
        "a cut-off GIF",
        "BMP",
        "TIFF",
        "WebP",
        "a cut-off PNG",
        "a cut-off JPEG",
        "48 million pixels",
        "200 million pixels",
    ],
)
def test_a_file_that_is_not_a_whole_png_jpeg_or_gif_within_the_limits_is_refused(data, message):
    with pytest.raises(ServiceError) as refused:
        checked(data)
    assert message in refused.value.message
    assert refused.value.field == "screenshot"


def test_a_gif_is_kept_as_a_png_of_its_first_frame():
    first, second = halves(), Image.new("RGB", (40, 20), (20, 200, 20))
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=[second], comment=SECRET)
    screenshot = checked(buffer.getvalue())
    assert (screenshot.content_type, screenshot.suffix) == ("image/png", ".png")
    image = reopened(screenshot).convert("RGB")
    assert red(image.getpixel((5, 5)))
    assert not red(image.getpixel((35, 5)))
    assert getattr(image, "n_frames", 1) == 1
    assert_no_metadata(screenshot)


@pytest.mark.parametrize("brand", [b"heic", b"mif1"])
def test_an_heic_photo_is_refused_with_what_to_do_instead(brand):
    # The start of an iPhone photo: a "ftyp" box with its brand; Pillow cannot read the rest.
    data = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(ServiceError) as refused:
        checked(data)
    assert refused.value.field == "screenshot"
    assert "HEIC" in refused.value.message
    assert "PNG or JPEG" in refused.value.message


SMALL_FILES = [encoded(halves((16, 8))), encoded(halves((16, 8)), "JPEG", exif=phone_exif(6))]


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    original=st.sampled_from(SMALL_FILES),
    changes=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 2000),
    tail=st.binary(max_size=20),
)
def test_a_damaged_file_is_refused_or_redrawn_never_an_error(original, changes, cut, tail):
    data = bytearray(original[: len(original) - cut % len(original)] + tail)
    for position, value in changes:
        if data:
            data[position % len(data)] = value
    result = refusal_or_screenshot(bytes(data))
    if isinstance(result, ServiceError):
        assert result.field == "screenshot"
    else:
        assert reopened(result).size == (result.width, result.height)


def refusal_or_screenshot(data: bytes) -> ServiceError | CheckedScreenshot:
    try:
        return checked(data)
    except ServiceError as refused:
        return refused
