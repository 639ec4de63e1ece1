"""Evidence upload validation (portal.evidence.inspect); storage is tested in test_storage_backends.py."""

from __future__ import annotations

import ast
import hashlib
import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from portal.evidence import inspect as ev
from portal.evidence.inspect import CODES, EvidenceError, process, sniff
from portal.evidence.labels import FILE_REFUSALS, refusal_message

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# ---------- helpers: build files in memory ----------


def _save(img: Image.Image, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _noise(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    # Random pixels so JPEG data is large enough to truncate meaningfully.
    w, h = size
    return Image.frombytes(mode, size, bytes((i * 7919) % 251 for i in range(w * h * len(mode))))


def _jpeg_with_gps(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 0.0)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 0.0)
    return _save(
        Image.new("RGB", size, "red"), "JPEG", exif=exif, comment=b"secret comment", icc_profile=b"x" * 64
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _big_bilevel_png(width: int, height: int) -> bytes:
    """A valid all-black 1-bit PNG of any size, built row by row so memory stays tiny."""
    row = b"\x00" + bytes((width + 7) // 8)
    comp = zlib.compressobj(9)
    block = row * 500
    parts = [comp.compress(block) for _ in range(height // 500)]
    parts.append(comp.compress(row * (height % 500)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def _refused(data: bytes, **kwargs) -> EvidenceError:
    with pytest.raises(EvidenceError) as info:
        process(data, **kwargs)
    refusal_message(info.value)  # every refusal must format its message without a missing placeholder
    return info.value


# ---------- type detection ----------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0rest", "jpeg"),
        (b"\x89PNG\r\n\x1a\nrest", "png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"%PDF-1.7\n", "pdf"),
        (b"<?php echo 1; ?>", None),
        (b"GIF89a", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
)
def test_sniff_uses_signature(data: bytes, expected: str | None) -> None:
    assert sniff(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<?php system($_GET['c']); ?>", id="php-renamed-jpg"),
        pytest.param(b"<!DOCTYPE html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', id="svg"
        ),
        pytest.param(b"<svg onload=alert(1)>", id="svg-bare"),
        pytest.param(b"PK\x03\x04" + bytes(100), id="zip"),
        pytest.param(b"GIF89a" + bytes(100), id="gif"),
        pytest.param(b"MZ" + bytes(100), id="exe"),
        pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", id="avif"),
    ],
)
def test_disallowed_content_is_refused(data: bytes) -> None:
    err = _refused(data)
    assert err.code == "unsupported_type"
    assert "PDF" in err.params["accepted"]


def test_empty_file_is_refused() -> None:
    assert _refused(b"").code == "empty"


def test_size_is_checked_first() -> None:
    err = _refused(b"<?php " + bytes(2048), max_bytes=1024)
    assert err.code == "too_large"
    assert err.params["limit_bytes"] == 1024
    assert _refused(MINIMAL_PDF, max_bytes=10).code == "too_large"
    assert refusal_message(EvidenceError("too_large", limit_mb="10")) == "The file is larger than 10 MB."


def test_default_limit_message_says_10_mb() -> None:
    err = _refused(b"x" * (10 * 1024 * 1024 + 1))
    assert err.params["limit_mb"] == "10"


def test_every_message_formats_with_typical_params() -> None:
    params = {"limit_mb": "10", "accepted": "JPEG, PDF", "limit_mp": "40"}
    assert set(FILE_REFUSALS) == set(CODES)  # every code has its words
    for code in CODES:
        assert "%(" not in refusal_message(EvidenceError(code, **params))


def test_inspection_and_storage_are_free_of_flask() -> None:
    """The checks give codes; the words (Flask-Babel) are the edge's: portal.evidence.labels."""
    for name in ("inspect", "uploads", "storage", "access", "models"):
        tree = ast.parse((Path(ev.__file__).parent / f"{name}.py").read_text())
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in modules if m.split(".")[0] in ("flask", "flask_babel", "flask_login")}, name


# ---------- images ----------


def test_jpeg_metadata_is_stripped_and_orientation_applied() -> None:
    original = _jpeg_with_gps((40, 20), orientation=6)
    assert b"PhoneMaker" in original and b"secret comment" in original
    result = process(original)
    assert (result.kind, result.mime, result.extension) == ("image", "image/jpeg", ".jpg")
    assert (result.width, result.height) == (20, 40)  # orientation 6 = rotate 90°
    for needle in (b"Exif", b"PhoneMaker", b"secret comment", b"ICC_PROFILE"):
        assert needle not in result.data
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.size == (20, 40)
        assert len(img.getexif()) == 0
        assert not img.getexif().get_ifd(0x8825)
        assert "exif" not in img.info and "icc_profile" not in img.info and "comment" not in img.info


def test_polyglot_payload_does_not_survive() -> None:
    original = _save(Image.new("RGB", (16, 16), "blue"), "JPEG") + b"<?php system($_GET['c']); ?>"
    result = process(original)
    assert b"<?php" not in result.data


def test_png_with_alpha_stays_png_without_text_chunks() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "owner: someone")
    original = _save(Image.new("RGBA", (30, 10), (0, 255, 0, 128)), "PNG", pnginfo=info)
    result = process(original)
    assert (result.mime, result.extension) == ("image/png", ".png")
    assert b"owner: someone" not in result.data
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.mode == "RGBA" and img.getpixel((0, 0)) == (0, 255, 0, 128)


def test_palette_png_with_transparency_keeps_alpha() -> None:
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, 255, 0, 0])
    assert process(_save(img, "PNG", transparency=1)).mime == "image/png"


def test_palette_png_with_unused_transparency_becomes_jpeg_without_warning() -> None:
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, 255, 0, 0])
    assert process(_save(img, "PNG", transparency=0)).mime == "image/jpeg"


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_opaque_png_becomes_jpeg(mode: str) -> None:
    result = process(_save(Image.new(mode, (8, 8), "white"), "PNG"))
    assert result.mime == "image/jpeg" and result.source_type == "png" and result.source_mime == "image/png"


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_webp_is_reencoded(mode: str) -> None:
    original = _save(Image.new(mode, (24, 12), (255, 255, 0, 100)[: len(mode)]), "WEBP", lossless=True)
    result = process(original)
    assert result.source_type == "webp"
    assert result.mime == ("image/png" if mode == "RGBA" else "image/jpeg")
    assert not result.data.startswith(b"RIFF")
    assert (result.width, result.height) == (24, 12)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("L", "JPEG"), ("CMYK", "JPEG"), ("I;16", "PNG"), ("LA", "PNG"), ("1", "PNG")],
)
def test_unusual_modes_are_normalised(mode: str, fmt: str) -> None:
    result = process(_save(Image.new(mode, (10, 10)), fmt))
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.mode in ("L", "RGB", "RGBA")


@pytest.mark.skipif(not ev.HEIC_SUPPORTED, reason="pillow-heif not installed")
def test_heic_is_converted_to_jpeg() -> None:
    original = _save(Image.new("RGB", (64, 48), "red"), "HEIF")
    assert sniff(original) == "heic"
    result = process(original)
    assert (result.mime, result.source_type, result.source_mime) == ("image/jpeg", "heic", "image/heic")
    assert (result.width, result.height) == (64, 48)


def test_thumbnail_fits_320_and_does_not_upscale() -> None:
    big = process(_save(Image.new("RGBA", (1000, 500), (1, 2, 3, 0)), "PNG"))
    with Image.open(io.BytesIO(big.thumbnail)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 160)
    small = process(_save(Image.new("RGB", (50, 30)), "JPEG"))
    with Image.open(io.BytesIO(small.thumbnail)) as thumb:
        assert thumb.size == (50, 30)


def test_sha256_is_of_the_original_bytes() -> None:
    original = _jpeg_with_gps()
    result = process(original)
    assert result.sha256 == hashlib.sha256(original).hexdigest()
    assert result.sha256 != hashlib.sha256(result.data).hexdigest()
    assert result.original_size == len(original) and result.size == len(result.data)


# ---------- decompression bombs and corrupt files ----------


def test_huge_png_is_refused_quickly_from_its_header() -> None:
    bomb = _big_bilevel_png(20_000, 20_000)  # 400 megapixels, 1.6 GB as RGBA
    assert len(bomb) < 200_000
    start = time.perf_counter()
    err = _refused(bomb)
    assert time.perf_counter() - start < 1.0
    assert err.code == "image_too_large"


def test_our_pixel_limit_is_below_pillows() -> None:
    err = _refused(_big_bilevel_png(8_000, 6_000))  # 48 MP: under Pillow's limit, over ours
    assert err.code == "image_too_large"
    assert (err.params["width"], err.params["height"]) == (8_000, 6_000)
    assert refusal_message(err) == "The image has too many pixels (the limit is 40 megapixels)."


def test_max_pixels_parameter() -> None:
    png = _save(Image.new("RGB", (100, 100)), "PNG")
    assert _refused(png, max_pixels=5_000).code == "image_too_large"
    assert process(png, max_pixels=10_000).width == 100


def test_pillow_bomb_warning_maps_to_image_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    png = _save(Image.new("RGB", (40, 40)), "PNG")  # 1,600 px: Pillow warns (not errors) below 2,000
    assert _refused(png, max_pixels=10_000).code == "image_too_large"


def test_truncated_jpeg_is_corrupt() -> None:
    full = _save(_noise((200, 200)), "JPEG", quality=95)
    assert process(full).width == 200
    assert _refused(full[: len(full) // 2]).code == "corrupt"


def test_truncated_png_is_corrupt() -> None:
    full = _save(_noise((100, 100)), "PNG")
    assert _refused(full[: len(full) // 2]).code == "corrupt"


@pytest.mark.parametrize(
    "data",
    [b"\xff\xd8\xff" + b"garbage" * 10, b"\x89PNG\r\n\x1a\n" + b"garbage", b"RIFF\x00\x00\x00\x00WEBPjunk"],
)
def test_undecodable_image_is_corrupt(data: bytes) -> None:
    assert _refused(data).code == "corrupt"


def test_truncated_images_flag_must_stay_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError):
        process(_save(Image.new("RGB", (8, 8)), "JPEG"))


# ---------- PDF ----------


def test_pdf_is_accepted_unchanged() -> None:
    result = process(MINIMAL_PDF)
    assert (result.kind, result.mime, result.extension) == ("pdf", "application/pdf", ".pdf")
    assert result.data == MINIMAL_PDF
    assert result.thumbnail is None and result.width is None and result.height is None
    assert result.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()


def test_pdf_with_trailing_newlines_after_eof_is_accepted() -> None:
    assert process(MINIMAL_PDF + b"\r\n" * 10).kind == "pdf"


def test_pdf_without_eof_is_corrupt() -> None:
    assert _refused(MINIMAL_PDF[: -len(b"%%EOF\n")]).code == "corrupt"
    assert _refused(MINIMAL_PDF.replace(b"%%EOF", b"") + bytes(2000) + b"%%EOF"[:0]).code == "corrupt"
