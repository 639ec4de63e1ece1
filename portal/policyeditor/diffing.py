"""Field-by-field differences between two policy versions, for a side-by-side or unified view."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.money import format_fen
from portal.orders.kinds import Category, Usage
from portal.orders.labels import CATEGORY, USAGE
from portal.policy.kinds import RefundType
from portal.policy.labels import REFUND_TYPE_LABELS
from portal.policy.models import PolicyVersion

Path = tuple[str, ...]

# Latin words and numbers stay whole; anything else (Chinese characters, punctuation) is one token each.
_TOKEN = re.compile(r"[A-Za-z0-9_.%-]+|\s+|.", re.S)
_REWRITE_RATIO = 0.4
_HIDDEN_PARTS = frozenset({"categories"})
_LANG_NAMES = {"zh_CN": "中文", "en": "English"}
_PART_LABELS = {
    "rules": _l("Rules"),
    "texts": _l("Texts"),
    "_summaries": _l("Category summary"),
    "hint": _l("Hint"),
    "checklist": _l("Checklist"),
    "evidence": _l("Evidence"),
    "required": _l("Required"),
    "kinds": _l("File kinds"),
    "amounts": _l("Amounts"),
    "method": _l("Method"),
    "percent": _l("Percent"),
    "condition": _l("Only when reported"),
    "allowed": _l("Offered"),
    "conditions": _l("Conditions"),
    "unactivated_days": _l("Days without activation"),
    "trial": _l("Trial only"),
    "trial_days": _l("Trial days"),
    "refuse_if_credited": _l("Refused once credited"),
    "refuse_while_pending": _l("Refused while the result is pending"),
    "reason_required": _l("Reason required"),
    "open_on_failure": _l("Opened for the customer when delivery fails"),
    "auto_approve_statuses": _l("Automatic approval on"),
    "review_working_days": _l("Review working days"),
    "green_channel_fen": _l("Green-channel amount"),
    "final_decision_closes_type": _l("No new request of the same type after a final decision"),
    "schema": _l("Schema"),
}


@dataclass(frozen=True)
class Segment:
    """A run of characters on one side of a changed line; `changed` marks what differs."""

    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One line pair of a side-by-side diff: equal, replace, delete or insert."""

    tag: str
    before: tuple[Segment, ...]
    after: tuple[Segment, ...]


@dataclass(frozen=True)
class FieldDiff:
    """One field that differs between two versions."""

    path: Path
    before: str | None
    after: str | None
    rows: tuple[DiffRow, ...]
    unified: str

    @property
    def is_text(self) -> bool:
        """True for customer-facing texts (as opposed to rule numbers)."""
        return self.path[0] == "texts"

    @property
    def label(self) -> str:
        """A readable name for the field, e.g. "Texts › 中文 › Game card › Item not received › Hint"."""
        return describe_path(self.path)


def diff_versions(old: PolicyVersion | None, new: PolicyVersion) -> list[FieldDiff]:
    """Every field whose value differs from `old` to `new`, in the order of `new` (removals last)."""
    before = flatten(old) if old is not None else {}
    after = flatten(new)
    paths = list(after) + [p for p in before if p not in after]
    names = (f"v{old.id}" if old is not None else "-", f"v{new.id}")
    return [
        _field_diff(p, before.get(p), after.get(p), names) for p in paths if before.get(p) != after.get(p)
    ]


def flatten(version: PolicyVersion) -> dict[Path, str]:
    """Every leaf of a version's rules and texts, as display strings keyed by path."""
    out: dict[Path, str] = {}
    for root, data in (("rules", version.rules), ("texts", version.texts)):
        for path, value in _leaves(data or {}, (root,)):
            out[path] = _display(path, value)
    return out


def describe_path(path: Path) -> str:
    """Join a path's parts with their display names."""
    return " › ".join(_part_label(part) for part in path if part not in _HIDDEN_PARTS)


def _leaves(data: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(data, list) and data and all(isinstance(i, Mapping) and "key" in i for i in data):
        # Evidence items are identified by key, so a reordering or one changed flag reads as such.
        for item in data:
            for key, value in item.items():
                if key != "key":
                    yield from _leaves(value, (*path, str(item["key"]), str(key)))
    else:
        yield path, data


def _display(path: Path, value: Any) -> str:
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, int) and path[-1].endswith("_fen"):
        return format_fen(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _part_label(part: str) -> str:
    if part in _LANG_NAMES:
        return _LANG_NAMES[part]
    if part in {c.value for c in Category}:
        return str(CATEGORY[Category(part)])
    if part in {t.value for t in RefundType}:
        return str(REFUND_TYPE_LABELS[RefundType(part)])
    if part in {u.value for u in Usage}:
        return str(USAGE[Usage(part)])
    if part in _PART_LABELS:
        return str(_PART_LABELS[part])
    return part


def _field_diff(path: Path, before: str | None, after: str | None, names: tuple[str, str]) -> FieldDiff:
    old_lines = (before or "").splitlines()
    new_lines = (after or "").splitlines()
    unified = "\n".join(difflib.unified_diff(old_lines, new_lines, names[0], names[1], lineterm="", n=1))
    return FieldDiff(path, before, after, tuple(_rows(old_lines, new_lines)), unified)


def _rows(old: list[str], new: list[str]) -> Iterator[DiffRow]:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for line in old[i1:i2]:
                yield DiffRow("equal", (Segment(line, False),), (Segment(line, False),))
            continue
        left, right = old[i1:i2], new[j1:j2]
        for k in range(max(len(left), len(right))):
            a = left[k] if k < len(left) else None
            b = right[k] if k < len(right) else None
            if a is not None and b is not None:
                before, after = _token_segments(a, b)
                yield DiffRow("replace", before, after)
            elif a is not None:
                yield DiffRow("delete", (Segment(a, True),), ())
            else:
                yield DiffRow("insert", (), (Segment(b or "", True),))


def _token_segments(a: str, b: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Mark what differs inside a changed line: by word for Latin text, by character for Chinese."""
    old, new = _TOKEN.findall(a), _TOKEN.findall(b)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < _REWRITE_RATIO:
        # A line rewritten from scratch reads better struck through whole than as confetti.
        return (Segment(a, True),), (Segment(b, True),)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(old[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(new[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)
