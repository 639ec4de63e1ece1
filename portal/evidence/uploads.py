"""Storing a customer's evidence upload for a wizard draft or for a case asked for more evidence.

Every upload goes through ``inspect.process`` (signature check, size and pixel limits, re-encoding),
then into a ``Storage`` under random keys, and is recorded as an EvidenceFile with the SHA-256 of the
bytes the customer sent, so the same file turning up in another case can be flagged. What a case does
with a new file (its state, its log) is the case's business: ``portal.cases.more_evidence``. Refusals
carry codes; ``portal.evidence.labels`` words them.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from portal.clock import utcnow
from portal.evidence.inspect import ProcessedFile, process
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import Storage
from portal.extensions import db

NAME_LIMIT = 200
KEY_LIMIT = 48
log = logging.getLogger(__name__)

ANY_KIND = ("image", "pdf")


class Owner(Protocol):
    """What files are stored for: a wizard draft or a case (both belong to one customer)."""

    id: int
    customer_id: int


@dataclass(frozen=True)
class Upload:
    """One file as received: its bytes and the name the customer's device gave it."""

    data: bytes
    filename: str = ""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    per_item: int | None = None  # live files on one checklist item of a draft or case
    per_case: int | None = None  # live files on a draft or case
    per_request: int | None = None  # files in one upload request

    @classmethod
    def from_settings(cls, settings) -> Limits:
        return cls(
            settings["MAX_FILE_BYTES"],
            settings["MAX_IMAGE_PIXELS"],
            settings["EVIDENCE_MAX_FILES_PER_ITEM"],
            settings["EVIDENCE_MAX_FILES_PER_CASE"],
            settings["EVIDENCE_MAX_FILES_PER_REQUEST"],
        )


class UploadRefused(ValueError):
    """Not stored: ``code`` is "case_not_accepting", "bad_item", "no_file", "wrong_kind" (a PDF for a photo
    item; ``kinds`` are the accepted ones), a cap ("too_many_for_item", "too_many_for_case",
    "too_many_at_once"; ``limit`` is the cap) or "storage_failed"."""

    def __init__(self, code: str, limit: int | None = None, kinds: tuple[str, ...] = ()):
        super().__init__(code)
        self.code = code
        self.limit = limit
        self.kinds = kinds


def check_batch(count: int, limits: Limits) -> None:
    """One request may carry at most `per_request` files (refused as a whole, nothing stored)."""
    if limits.per_request is not None and count > limits.per_request:
        raise UploadRefused("too_many_at_once", limits.per_request)


def store_for_draft(
    storage: Storage,
    draft: Owner,
    item_key: str,
    upload: Upload,
    limits: Limits,
    kinds: tuple[str, ...] = ANY_KIND,
) -> EvidenceFile:
    """Validate and store a file for a draft's checklist item; raises EvidenceError or UploadRefused."""
    evidence, _ = _store(storage, EvidenceFile.draft_id, draft, item_key, upload, limits, kinds)
    return evidence


def store_for_case(
    storage: Storage,
    case: Owner,
    item_key: str,
    upload: Upload,
    limits: Limits,
    kinds: tuple[str, ...] = ANY_KIND,
) -> tuple[EvidenceFile, bool]:
    """Validate and store a file for a case's checklist item; True when it is new (not the same file sent
    again). Whether the case takes files now, and its log entry, are the caller's (cases.more_evidence)."""
    return _store(storage, EvidenceFile.case_id, case, item_key, upload, limits, kinds)


def _store(
    storage: Storage,
    owner_column: InstrumentedAttribute,
    owner: Owner,
    item_key: str,
    upload: Upload,
    limits: Limits,
    kinds: tuple[str, ...],
) -> tuple[EvidenceFile, bool]:
    """The checks in order (the item, the caps before any work on the bytes, the bytes, the kind), then one
    file for the owner (`owner_column` is EvidenceFile.draft_id or .case_id); True when it is new."""
    _check_item(item_key)
    _check_caps(owner_column == owner.id, item_key, limits)
    processed = _processed(upload, limits, kinds)
    same = _live_copy(owner_column == owner.id, item_key, processed.sha256)
    if same is not None:
        return same, False  # the same file sent again (a retry after a dropped connection): keep one
    evidence = _record(storage, processed, owner.customer_id, item_key, upload.filename)
    setattr(evidence, owner_column.key, owner.id)
    db.session.add(evidence)
    db.session.flush()
    return evidence, True


def remove_from_draft(evidence: EvidenceFile) -> None:
    """Take a file off a draft before submission (kept as a record, no longer part of the request)."""
    if evidence.case_id is not None:
        raise UploadRefused("case_not_accepting")
    evidence.removed_at = utcnow()


def get_file(public_id: str) -> EvidenceFile | None:
    """A live file by its public id (the caller checks who may see it)."""
    return db.session.scalar(
        select(EvidenceFile).where(EvidenceFile.public_id == public_id, EvidenceFile.removed_at.is_(None))
    )


def download_name(evidence: EvidenceFile) -> str:
    """A file name for saving: the customer's name with the extension of what is actually stored."""
    stem = PurePosixPath(evidence.original_name).stem or "evidence"
    return stem + PurePosixPath(evidence.storage_key).suffix


def clean_filename(name: str) -> str:
    """The last path part of a device-supplied name, without control characters, length-limited."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    printable = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return printable.strip()[:NAME_LIMIT]


def _processed(upload: Upload, limits: Limits, kinds: tuple[str, ...]) -> ProcessedFile:
    processed = process(upload.data, limits.max_bytes, limits.max_pixels)
    if processed.kind not in kinds:
        raise UploadRefused("wrong_kind", kinds=kinds)
    return processed


def _check_item(item_key: str) -> None:
    if not item_key or len(item_key) > KEY_LIMIT:
        raise UploadRefused("bad_item")


def _check_caps(owner_condition, item_key: str, limits: Limits) -> None:
    """Refuse a file beyond the item's or the draft's/case's cap (checked before any work on the bytes)."""
    live = select(func.count(EvidenceFile.id)).where(owner_condition, EvidenceFile.removed_at.is_(None))
    on_item = live.where(EvidenceFile.checklist_key == item_key)
    if limits.per_item is not None and db.session.scalar(on_item) >= limits.per_item:
        raise UploadRefused("too_many_for_item", limits.per_item)
    if limits.per_case is not None and db.session.scalar(live) >= limits.per_case:
        raise UploadRefused("too_many_for_case", limits.per_case)


def _live_copy(owner_condition, item_key: str, sha256: str) -> EvidenceFile | None:
    return db.session.scalar(
        select(EvidenceFile).where(
            owner_condition,
            EvidenceFile.checklist_key == item_key,
            EvidenceFile.sha256 == sha256,
            EvidenceFile.removed_at.is_(None),
        )
    )


def _record(
    storage: Storage, processed: ProcessedFile, customer_id: int, item_key: str, filename: str
) -> EvidenceFile:
    # Blobs are written before the row: a failed commit leaves an orphan blob, never a row without bytes.
    storage_key = None
    try:
        storage_key = storage.save(processed.data, processed.extension)
        thumb_key = storage.save(processed.thumbnail, ".jpg") if processed.thumbnail else None
    except OSError as exc:
        log.error("evidence not stored: the storage refused the write: %s", exc)
        if storage_key:
            _forget_blob(storage, storage_key)
        raise UploadRefused("storage_failed") from exc
    return EvidenceFile(
        public_id=secrets.token_urlsafe(18),
        customer_id=customer_id,
        checklist_key=item_key,
        storage_key=storage_key,
        thumb_key=thumb_key,
        kind=processed.kind,
        mime=processed.mime,
        original_name=clean_filename(filename),
        size=processed.size,
        sha256=processed.sha256,
        width=processed.width,
        height=processed.height,
        uploaded_at=utcnow(),
    )


def _forget_blob(storage: Storage, key: str) -> None:
    """Best effort: a blob whose row will never be written (an orphan is harmless, only wasted space)."""
    try:
        storage.delete(key)
    except OSError as exc:
        log.warning("an unused evidence blob stays behind: %s", exc)
