"""Validate and sanitise evidence uploads (images and PDFs) by their content, never by their name.

Images are decoded and re-encoded with Pillow, which drops every byte the customer's device added
(EXIF with GPS position, XMP, ICC profiles, comments, trailing payloads in polyglot files). PDFs are
checked structurally only and stored unchanged: they are never rendered on the server, so the web
layer must serve them as downloads with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any, Final, Literal

from PIL import Image, ImageFile, ImageOps

try:  # HEIC (iPhone camera default) is optional: supported only when pillow-heif is installed.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIC_SUPPORTED: Final[bool] = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIC_SUPPORTED = False  # type: ignore[misc]

DEFAULT_MAX_BYTES: Final[int] = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS: Final[int] = 40_000_000
THUMBNAIL_SIZE: Final[int] = 320
JPEG_QUALITY: Final[int] = 85
THUMBNAIL_QUALITY: Final[int] = 80
# PDF readers accept %%EOF anywhere in the last 1024 bytes (PDF 1.7, implementation note 18).
PDF_EOF_WINDOW: Final[int] = 1024

# Brands in an ISO-BMFF "ftyp" box that mean HEVC-coded HEIF; "mif1" alone could be AVIF, which we refuse.
_HEIC_BRANDS: Final[frozenset[bytes]] = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
)

Kind = Literal["image", "pdf"]
SourceType = Literal["jpeg", "png", "webp", "heic", "pdf"]

# Pillow format name to pass to Image.open(formats=...), so no other decoder can claim the bytes.
_PILLOW_FORMAT: Final[dict[str, str]] = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}
_SOURCE_MIME: Final[dict[str, str]] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
}

# Why a file is refused; each code's words (in the reader's language) are in portal.evidence.labels.
CODES: Final[tuple[str, ...]] = ("empty", "too_large", "unsupported_type", "image_too_large", "corrupt")


class EvidenceError(Exception):
    """An upload was refused; ``code`` is one of CODES and ``params`` fill its message's placeholders
    (``portal.evidence.labels.refusal_message`` says it in the reader's language)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = params


@dataclass(frozen=True, slots=True)
class ProcessedFile:
    """A validated upload ready to store.

    ``sha256`` and ``original_size`` describe the bytes the customer uploaded, not the stored ones:
    re-encoding is not reproducible across Pillow/libjpeg versions or settings, so only the original
    hash reliably spots the same file submitted again (in another case, or after an upgrade), and it
    is the hash the audit log can use to prove what the customer actually sent.
    """

    kind: Kind
    mime: str  # of ``data``
    extension: str  # of ``data``, with the leading dot, e.g. ".jpg"
    data: bytes
    thumbnail: bytes | None  # JPEG, longest side <= THUMBNAIL_SIZE; None for PDFs
    width: int | None  # None for PDFs
    height: int | None
    sha256: str  # hex digest of the original upload
    size: int  # len(data)
    source_type: SourceType  # what the upload was detected to be
    source_mime: str
    original_size: int


def accepted_types() -> list[str]:
    """Return the human names of the accepted file types (for messages and the upload hint)."""
    names = ["JPEG", "PNG", "WebP"]
    if HEIC_SUPPORTED:
        names.append("HEIC")
    return [*names, "PDF"]


def accept_attribute() -> str:
    """Return a value for the HTML ``accept`` attribute matching the allow-list."""
    mimes = ["image/jpeg", "image/png", "image/webp"]
    if HEIC_SUPPORTED:
        mimes += ["image/heic", "image/heif", ".heic", ".heif"]
    return ",".join([*mimes, "application/pdf"])


def sniff(data: bytes) -> SourceType | None:
    """Return the allowed type the bytes' signature shows, or None if it is not allowed."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if HEIC_SUPPORTED and _is_heic(data):
        return "heic"
    return None


def _is_heic(data: bytes) -> bool:
    """Tell whether the bytes start with an ftyp box naming an HEVC HEIF brand."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(data[:4], "big")
    if box_size < 16 or box_size > min(len(data), 4096):
        return False
    brands = [data[8:12]] + [data[i : i + 4] for i in range(16, box_size - 3, 4)]
    return any(brand in _HEIC_BRANDS for brand in brands)


def process(
    data: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> ProcessedFile:
    """Validate an upload and return its sanitised form; raise EvidenceError if it is refused."""
    if not data:
        raise EvidenceError("empty")
    if len(data) > max_bytes:
        raise EvidenceError("too_large", limit_mb=_format_mb(max_bytes), limit_bytes=max_bytes)
    source = sniff(data)
    if source is None:
        raise EvidenceError("unsupported_type", accepted=", ".join(accepted_types()))
    if source == "pdf":
        return _process_pdf(data)
    return _process_image(data, source, max_pixels)


def _format_mb(max_bytes: int) -> str:
    """Render a byte limit as megabytes without a useless ".0"."""
    mb = max_bytes / (1024 * 1024)
    return f"{mb:g}" if mb >= 1 else f"{mb:.2g}"


def _base(data: bytes, source: SourceType) -> dict[str, Any]:
    """Return the ProcessedFile fields that describe the original upload."""
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "source_type": source,
        "source_mime": _SOURCE_MIME[source],
        "original_size": len(data),
    }


def _process_pdf(data: bytes) -> ProcessedFile:
    """Accept a PDF whose header and end-of-file marker are present; it is stored unchanged."""
    if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise EvidenceError("corrupt")
    return ProcessedFile(
        kind="pdf",
        mime="application/pdf",
        extension=".pdf",
        data=data,
        thumbnail=None,
        width=None,
        height=None,
        size=len(data),
        **_base(data, "pdf"),
    )


def _process_image(data: bytes, source: SourceType, max_pixels: int) -> ProcessedFile:
    """Decode an image safely, strip its metadata and re-encode it with a thumbnail."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # A global switch elsewhere would silently let half-images through as evidence.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    image = _open_checked(data, source, max_pixels)
    try:
        clean = _sanitise(image)
    finally:
        image.close()
    has_alpha = clean.mode in ("RGBA", "LA")
    stored = _encode(clean, "PNG" if has_alpha else "JPEG")
    return ProcessedFile(
        kind="image",
        mime="image/png" if has_alpha else "image/jpeg",
        extension=".png" if has_alpha else ".jpg",
        data=stored,
        thumbnail=_thumbnail(clean),
        width=clean.width,
        height=clean.height,
        size=len(stored),
        **_base(data, source),
    )


def _open_checked(data: bytes, source: SourceType, max_pixels: int) -> Image.Image:
    """Open the image, refuse it by its header size before decoding, then decode it fully."""
    # Never exceed Pillow's own threshold: in production its bomb warning is only a log line.
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    too_large = EvidenceError("image_too_large", limit_mp=f"{limit / 1_000_000:g}", limit_pixels=limit)
    try:
        # Image.open parses the header only, so width x height is known before any pixel is decoded.
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[source]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # The warning arrives as an exception when warnings are errors (the test suite runs with -W error).
        raise too_large from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise EvidenceError("corrupt") from exc
    if image.width * image.height > limit:
        image.close()
        too_large.params.update(width=image.width, height=image.height)
        raise too_large
    try:
        image.load()  # raises on truncated data because LOAD_TRUNCATED_IMAGES is False
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        image.close()
        raise too_large from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        image.close()
        raise EvidenceError("corrupt") from exc
    return image


def _sanitise(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, normalise the mode and drop every piece of metadata."""
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a malformed EXIF block must not make the evidence unusable
        upright = image.copy()
    if upright.has_transparency_data and upright.mode not in ("RGBA", "LA"):
        # Palette/greyscale transparency (tRNS) converts reliably only through RGBA.
        upright = upright.convert("RGBA")
    clean = _to_rgb_or_rgba(upright, _uses_alpha(upright))
    # Encoders read ICC profiles, comments, EXIF and XMP from .info: empty it so nothing is carried over.
    clean.info = {}
    return clean


def _uses_alpha(image: Image.Image) -> bool:
    """Tell whether any pixel is see-through (fully opaque RGBA screenshots are stored as JPEG)."""
    if image.mode not in ("RGBA", "LA"):
        return False
    return image.getchannel("A").getextrema()[0] < 255


def _to_rgb_or_rgba(image: Image.Image, has_alpha: bool) -> Image.Image:
    """Convert any Pillow mode to RGB, or RGBA when it has transparency; plain greyscale stays "L"."""
    if image.mode == "L" and not has_alpha:
        return image.copy()
    target = "RGBA" if has_alpha else "RGB"
    try:
        return image.convert(target)
    except ValueError:
        # A few exotic modes (e.g. "La") cannot convert directly; go through RGBA.
        return image.convert("RGBA").convert(target)


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Encode without any metadata (no exif/icc/comment arguments are passed)."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    """Return a JPEG thumbnail whose longest side is at most THUMBNAIL_SIZE pixels."""
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    if thumb.mode in ("RGBA", "LA"):
        # JPEG has no alpha: flatten onto white as a page would show it.
        background = Image.new("RGB", thumb.size, (255, 255, 255))
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()
