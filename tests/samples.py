"""Files a customer might upload, good and bad, built in memory."""

import io
import struct
import zlib

from PIL import Image

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PHP_AS_JPG = b"<?php system($_GET['c']); ?>\n"
HTML_FILE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
SVG_FILE = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def jpeg(size: tuple[int, int] = (120, 80), color: str = "red") -> bytes:
    """A real screenshot-like JPEG."""
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 7):  # some detail, so the file is not trivially small
        image.putpixel((x, x % size[1]), (x % 255, 30, 200))
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    """The first half of a JPEG: what a dropped connection leaves behind."""
    data = noisy_jpeg()
    return data[: len(data) // 2]


def noisy_jpeg(size: tuple[int, int] = (200, 200)) -> bytes:
    w, h = size
    image = Image.frombytes("RGB", size, bytes((i * 7919) % 251 for i in range(w * h * 3)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims width × height pixels (a decompression bomb), tiny on the wire."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
