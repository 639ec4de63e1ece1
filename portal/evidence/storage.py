"""Where evidence bytes live: a small interface and a local-filesystem implementation.

Keys are generated here (random, never derived from the customer's file name) and every backend
refuses a key that is not of the generated form, so a key coming back from a URL or a form can
never reach outside the storage area.

An S3-compatible backend (AWS S3, MinIO, Aliyun OSS, Tencent COS) would plug in as another class
with the same four methods, for example ``S3Storage(client, bucket, prefix="evidence/")``:

- ``save``: ``key = new_key(suffix)``; ``client.put_object(Bucket=bucket, Key=prefix + key, Body=data,
  ServerSideEncryption=...)``; return ``key``. Objects stay private; downloads go through the portal
  (which checks ownership) or a short-lived presigned URL with ``ResponseContentDisposition=attachment``.
- ``open``: ``validate_key(key)`` then ``client.get_object(...)["Body"].read()``; map a missing object
  (404 / ``NoSuchKey``) to ``FileNotFoundError``.
- ``delete``: ``validate_key(key)`` then ``client.delete_object(...)`` (already idempotent).
- ``exists``: ``validate_key(key)`` then ``client.head_object(...)``, False on 404.

The application would pick the backend from configuration; callers depend only on ``Storage``.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

_TOKEN_BYTES: Final[int] = 24  # 192 bits, i.e. 32 url-safe characters: unguessable, fixed length
_KEY_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9_-]{32}(\.[a-z0-9]{1,8})?")
_SUFFIX_RE: Final[re.Pattern[str]] = re.compile(r"(\.[a-z0-9]{1,8})?")
FILE_MODE: Final[int] = 0o600
DIR_MODE: Final[int] = 0o700


class InvalidKeyError(ValueError):
    """A key (or suffix) is not of the form this module generates."""


@runtime_checkable
class Storage(Protocol):
    """Store opaque blobs under random keys."""

    def save(self, data: bytes, suffix: str) -> str:
        """Store ``data`` and return its new random key (``suffix`` such as ".jpg" is appended)."""
        ...

    def open(self, key: str) -> bytes:
        """Return the stored bytes; raise FileNotFoundError if the key is unknown."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting an unknown key is not an error (safe to retry)."""
        ...

    def exists(self, key: str) -> bool:
        """Tell whether a blob is stored under the key."""
        ...


def new_key(suffix: str = "") -> str:
    """Return a fresh random key ending with ``suffix`` (e.g. ".jpg"); refuse odd suffixes."""
    if not _SUFFIX_RE.fullmatch(suffix):
        raise InvalidKeyError(f"invalid suffix {suffix!r}")
    return secrets.token_urlsafe(_TOKEN_BYTES) + suffix


def validate_key(key: str) -> str:
    """Return the key unchanged if it has the generated form, else raise InvalidKeyError."""
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise InvalidKeyError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    """Files under ``root/<k[0:2]>/<k[2:4]>/<key>``, mode 0600, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        """Map a validated key to its sharded path (sharding keeps directories small)."""
        validate_key(key)
        return self.root / key[0:2] / key[2:4] / key

    def save(self, data: bytes, suffix: str) -> str:
        """Write the bytes to a new random key and return the key."""
        key = new_key(suffix)
        path = self._path(key)
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        # Write to a temporary name then rename, so a reader or a crash never sees half a file.
        tmp = path.with_name(f".{key}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), FILE_MODE)  # the umask could only narrow it, but be explicit
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.link(tmp, path)  # fails if the key already exists: never overwrite evidence
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return key

    def open(self, key: str) -> bytes:
        """Return the stored bytes; raise FileNotFoundError if the key is unknown."""
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Tell whether a file is stored under the key."""
        return self._path(key).is_file()


def _fsync_dir(directory: Path) -> None:
    """Flush the directory entry so the new file survives a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
