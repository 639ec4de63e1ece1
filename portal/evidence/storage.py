"""Where evidence bytes live: a small interface and a local-filesystem implementation.

Keys are generated here (random, never derived from the customer's file name) and every backend
refuses a key that is not of the generated form, so a key coming back from a URL or a form can
never reach outside the storage area.

Two backends with the same methods: ``LocalStorage`` (files on this machine's disk, the default) and
``S3Storage`` (objects in a private S3-compatible bucket: AWS S3, Aliyun OSS, MinIO, Tencent COS, so that
web and worker processes on several machines share the evidence). Objects are never public: files reach a
browser only through the portal's own access check, which reads the bytes and sends them itself.

``build_storage(settings, area)`` picks the backend from the settings (``EVIDENCE_STORAGE``); callers
depend only on ``Storage``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

_TOKEN_BYTES: Final[int] = 24  # 192 bits, i.e. 32 url-safe characters: unguessable, fixed length
_KEY_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9_-]{32}(\.[a-z0-9]{1,8})?")
_SUFFIX_RE: Final[re.Pattern[str]] = re.compile(r"(\.[a-z0-9]{1,8})?")
FILE_MODE: Final[int] = 0o600
DIR_MODE: Final[int] = 0o700
# The stores the portal keeps: customers' evidence and staff's proofs of offline transfers.
AREAS: Final[tuple[str, ...]] = ("evidence", "payout-proofs")
_MISSING_CODES: Final[frozenset[str]] = frozenset({"404", "NoSuchKey", "NotFound"})


class InvalidKeyError(ValueError):
    """A key (or suffix) is not of the form this module generates."""


class StoreUnavailable(OSError):
    """The store did not take a write (an object store's error); local disks raise their own OSError."""


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

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under an existing key (moving stores); never replaces a stored blob."""
        ...

    def keys(self) -> Iterator[str]:
        """Every key stored (in no particular order)."""
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
        self.put(key, data)
        return key

    def put(self, key: str, data: bytes) -> None:
        """Write the bytes under ``key``; FileExistsError if something is stored there already."""
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

    def open(self, key: str) -> bytes:
        """Return the stored bytes; raise FileNotFoundError if the key is unknown."""
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Tell whether a file is stored under the key."""
        return self._path(key).is_file()

    def keys(self) -> Iterator[str]:
        """Keys found in the two shard levels (other folders, such as another area's, are not walked)."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.glob("??/??")):
            for path in shard.iterdir():
                if _KEY_RE.fullmatch(path.name) and path.parent.name == path.name[2:4]:
                    yield path.name


class S3Storage:
    """Private objects ``prefix + key`` in an S3-compatible bucket (never a public ACL).

    ``server_side_encryption`` ("AES256", or "" for none) asks the provider to encrypt at rest.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "", server_side_encryption: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self._extra = {"ServerSideEncryption": server_side_encryption} if server_side_encryption else {}

    def save(self, data: bytes, suffix: str) -> str:
        """Upload the bytes under a new random key (192 random bits: no upload can meet another's key)."""
        key = new_key(suffix)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, **self._extra)
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(f"the object store refused the write: {exc}") from exc
        return key

    def put(self, key: str, data: bytes) -> None:
        """Upload under ``key``; FileExistsError if an object is stored there already."""
        if self.exists(key):
            raise FileExistsError(key)
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, **self._extra)

    def open(self, key: str) -> bytes:
        """Download the object; FileNotFoundError if there is none."""
        validate_key(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                raise FileNotFoundError(key) from exc
            raise
        with response["Body"] as body:
            return body.read()

    def delete(self, key: str) -> None:
        """Remove the object (S3 answers a missing key with success too)."""
        validate_key(key)
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def exists(self, key: str) -> bool:
        """Ask for the object's head."""
        validate_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return False
            raise
        return True

    def keys(self) -> Iterator[str]:
        """List the objects under the prefix, page by page."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                if _KEY_RE.fullmatch(key):
                    yield key


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def s3_client(settings: Mapping[str, Any]) -> Any:
    """A boto3 S3 client from the EVIDENCE_S3_* settings (credentials from the settings or boto3's chain)."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.get("EVIDENCE_S3_ENDPOINT_URL") or None,
        region_name=settings.get("EVIDENCE_S3_REGION") or None,
        aws_access_key_id=settings.get("EVIDENCE_S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=settings.get("EVIDENCE_S3_SECRET_ACCESS_KEY") or None,
        config=BotoConfig(
            s3={"addressing_style": settings.get("EVIDENCE_S3_ADDRESSING_STYLE") or "auto"},
            connect_timeout=float(settings.get("EVIDENCE_S3_TIMEOUT", 5)),
            read_timeout=float(settings.get("EVIDENCE_S3_TIMEOUT", 5)),
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def build_storage(settings: Mapping[str, Any], area: str, backend: str | None = None) -> Storage:
    """The store of ``area`` ("evidence" or "payout-proofs") that the settings choose.

    ``local``: ``UPLOAD_FOLDER`` for evidence, its ``payout-proofs`` folder for proofs (the layout the
    portal has always used). ``s3``: bucket ``EVIDENCE_S3_BUCKET``, keys under ``EVIDENCE_S3_PREFIX`` +
    area + "/".
    """
    if area not in AREAS:
        raise ValueError(f"unknown storage area {area!r}")
    backend = backend or settings.get("EVIDENCE_STORAGE") or "local"
    if backend == "local":
        root = Path(settings["UPLOAD_FOLDER"])
        return LocalStorage(root if area == "evidence" else root / area)
    if backend == "s3":
        if not settings.get("EVIDENCE_S3_BUCKET"):
            raise ValueError("EVIDENCE_STORAGE is 's3' but EVIDENCE_S3_BUCKET is not set")
        return S3Storage(
            s3_client(settings),
            settings["EVIDENCE_S3_BUCKET"],
            prefix=f"{settings.get('EVIDENCE_S3_PREFIX') or ''}{area}/",
            server_side_encryption=settings.get("EVIDENCE_S3_SSE") or "",
        )
    raise ValueError(f"EVIDENCE_STORAGE must be 'local' or 's3', not {backend!r}")


def _fsync_dir(directory: Path) -> None:
    """Flush the directory entry so the new file survives a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
