"""The arbitration dossier: one ZIP an arbitrator can check without us (format and offline verification).

Format `refund-center-dossier/1`. Every part is listed in `manifest.json` with its SHA-256 and size:

- `summary.html`: the case at a glance, in Chinese (zh_CN), for the arbitrator to read first;
- `order.json`, `case.json`: the order and the refund request as recorded;
- `statements.json`: what the customer and staff said (request, appeals, decisions, conversations);
- `events.json`: every event of the case log with the chained fields, `prev_hash` and `hash`, and the
  chain's head (seq, hash) when the dossier was made;
- `policy.json`: the policy version in force for the case, its rule for the order and its texts;
- `evidence.json` and `evidence/…`: the evidence files as stored, each with its SHA-256.

The case log is ONE chain over all cases, so a dossier holds only this case's links of it: each event's
own hash is recomputed here, and the link to the previous event is checked wherever two of the case's
events are neighbours in the chain. Exporting is itself logged on the case with the ZIP's SHA-256, so the
portal can later confirm that a dossier is the one it handed out.

No Flask here: `build` takes the parts, `verify` takes the ZIP's bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from portal.cases import auditchain

FORMAT = "refund-center-dossier/1"
MANIFEST = "manifest.json"
EVENTS = "events.json"
EVIDENCE_INDEX = "evidence.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def to_json(value: Any) -> bytes:
    """Readable, stable JSON (dates as the audit chain writes them)."""
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=_plain)
    return text.encode("utf-8")


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")  # naive UTC, as the audit chain hashes it
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a dossier")


def build(case_number: str, exported_at: str, parts: Mapping[str, bytes]) -> bytes:
    """The ZIP of `parts` (name → bytes) with its manifest; images are stored, text is compressed."""
    manifest = {
        "format": FORMAT,
        "case": case_number,
        "exported_at": exported_at,
        "files": [
            {"name": name, "sha256": sha256(data), "size": len(data)} for name, data in sorted(parts.items())
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in sorted(parts.items()):
            method = zipfile.ZIP_STORED if name.startswith("evidence/") else zipfile.ZIP_DEFLATED
            archive.writestr(_entry(name), data, compress_type=method)
        archive.writestr(_entry(MANIFEST), to_json(manifest), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))  # the same parts make the same ZIP
    info.external_attr = 0o644 << 16
    return info


def verify(data: bytes) -> list[str]:
    """What is wrong with a dossier, each problem naming the part (an empty list: it checks out)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        return [f"the file is not a readable ZIP ({exc})"]
    with archive:
        contents, problems = _read_all(archive)
    if MANIFEST not in contents:
        return [*problems, f"{MANIFEST}: missing or unreadable"]
    try:
        manifest = json.loads(contents[MANIFEST])
        listed = {entry["name"]: entry for entry in manifest["files"]}
    except (ValueError, KeyError, TypeError):
        return [*problems, f"{MANIFEST}: not a dossier manifest"]
    if manifest.get("format") != FORMAT:
        problems.append(f"{MANIFEST}: unknown format {manifest.get('format')!r}")
    problems += _check_manifest(listed, contents, damaged={p.split(":")[0] for p in problems})
    if EVENTS in contents:
        problems += _check_events(contents[EVENTS])
    return problems


def _read_all(archive: zipfile.ZipFile) -> tuple[dict[str, bytes], list[str]]:
    contents, problems = {}, []
    for name in archive.namelist():
        try:
            contents[name] = archive.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            problems.append(f"{name}: damaged, cannot be read ({exc})")
    return contents, problems


def _check_manifest(listed: dict[str, dict], contents: dict[str, bytes], damaged: set[str]) -> list[str]:
    problems = []
    for name, entry in listed.items():
        if name in damaged:
            continue
        if name not in contents:
            problems.append(f"{name}: listed in the manifest but missing")
        elif sha256(contents[name]) != entry.get("sha256"):
            problems.append(f"{name}: SHA-256 differs from the manifest (the part was changed)")
    for name in contents:
        if name != MANIFEST and name not in listed:
            problems.append(f"{name}: not listed in the manifest")
    return problems


def _check_events(raw: bytes) -> list[str]:
    try:
        log = json.loads(raw)
        events, head = log["events"], log["chain_head"]
    except (ValueError, KeyError, TypeError):
        return [f"{EVENTS}: not a case log"]
    problems = []
    previous = None
    for event in events:
        seq = event.get("seq")
        fields = {name: event.get(name) for name in auditchain.CHAIN_FIELDS}
        if auditchain.event_hash(fields, event.get("prev_hash")) != event.get("hash"):
            problems.append(f"{EVENTS}: event seq {seq} does not match its hash")
        if (
            previous is not None
            and seq == previous.get("seq", 0) + 1
            and event.get("prev_hash") != previous.get("hash")
        ):
            problems.append(f"{EVENTS}: event seq {seq} does not link to event seq {previous.get('seq')}")
        if previous is not None and (not isinstance(seq, int) or seq <= previous.get("seq", 0)):
            problems.append(f"{EVENTS}: event seq {seq} is out of order")
        previous = event
    if previous is not None and isinstance(head, dict):
        if head.get("seq", 0) < previous.get("seq", 0):
            problems.append(f"{EVENTS}: the chain head (seq {head.get('seq')}) is older than the last event")
        elif head.get("seq") == previous.get("seq") and head.get("hash") != previous.get("hash"):
            problems.append(f"{EVENTS}: the last event's hash differs from the chain head")
    return problems
