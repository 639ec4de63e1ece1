"""Tamper-evident hash chain over case events (who, when, why), for the append-only audit log.

There is ONE global chain over all cases: `seq` is a global sequence starting at 1, and each event
stores the hash of the event before it (`prev_hash`, GENESIS for seq 1) and its own `hash`, the
SHA-256 of its canonical form (which includes `prev_hash`). Editing, deleting, reordering or
inserting an event therefore breaks the chain at that point. One case's history is trusted when the
whole chain verifies; an attacker able to rewrite every later hash, or to cut off the tail, is only
caught by comparing with a checkpoint (seq, hash) kept somewhere else.

Events may be mappings or objects with the same attribute names (e.g. ORM rows).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64

# Exactly the fields covered by the hash; anything else on the event (ids, display data) is not.
CHAIN_FIELDS: tuple[str, ...] = (
    "seq",
    "case_id",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "from_state",
    "to_state",
    "reason",
    "data",
    "prev_hash",
)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    broken_at_seq: int | None = None
    problem: str = ""
    checked: int = 0  # events verified before stopping


def _field(event: Any, name: str) -> Any:
    if isinstance(event, Mapping):
        return event.get(name)
    return getattr(event, name, None)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        # Fixed precision so a value read back from the database hashes the same as when written.
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} in an audit event")


def canonical(event: Mapping[str, Any] | Any) -> bytes:
    """Stable UTF-8 JSON of the chained fields: sorted keys, no whitespace, datetimes as ISO UTC."""
    body = {name: _field(event, name) for name in CHAIN_FIELDS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return text.encode("utf-8")


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """Hex SHA-256 of the event's canonical form with `prev_hash` set to the given value."""
    return hashlib.sha256(canonical({**fields, "prev_hash": prev_hash})).hexdigest()


def _broken(seq: int, problem: str, checked: int) -> VerifyResult:
    return VerifyResult(ok=False, broken_at_seq=seq, problem=problem, checked=checked)


def verify(
    events: Iterable[Mapping[str, Any] | Any], checkpoint: tuple[int, str] | None = None
) -> VerifyResult:
    """Check events given in seq order from seq 1; report the first seq where the chain breaks.

    `checkpoint` (seq, hash), recorded elsewhere, also catches a cut-off tail or a fully rewritten
    chain: the event with that seq must exist and carry that hash.
    """
    prev = GENESIS
    checked = 0
    checkpoint_seen = checkpoint is None
    for expected_seq, event in enumerate(events, start=1):
        seq, stored = _field(event, "seq"), _field(event, "hash")
        if seq != expected_seq:
            return _broken(
                expected_seq, f"expected seq {expected_seq}, found {seq}: missing or moved", checked
            )
        if _field(event, "prev_hash") != prev:
            return _broken(seq, "prev_hash does not match the previous event's hash", checked)
        if event_hash({n: _field(event, n) for n in CHAIN_FIELDS}, prev) != stored:
            return _broken(seq, "content does not match its hash", checked)
        if checkpoint is not None and seq == checkpoint[0]:
            if stored != checkpoint[1]:
                return _broken(seq, "hash differs from the checkpoint", checked)
            checkpoint_seen = True
        prev = stored
        checked += 1
    if checkpoint is not None and not checkpoint_seen:
        return _broken(checkpoint[0], "chain ends before the checkpoint", checked)
    return VerifyResult(ok=True, checked=checked)
