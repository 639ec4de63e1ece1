"""Field-by-field differences between two policy versions, for a side-by-side or unified view."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from portal.money import format_fen
from portal.policy.models import PolicyVersion
from portal.policyeditor.labels import YES_NO, part_label

Path = tuple[str, ...]

# Latin words and numbers stay whole; anything else (Chinese characters, punctuation) is one token each.
_TOKEN = re.compile(r"[A-Za-z0-9_.%-]+|\s+|.", re.S)
_REWRITE_RATIO = 0.4
_HIDDEN_PARTS = frozenset({"categories"})


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
    return " › ".join(part_label(part) for part in path if part not in _HIDDEN_PARTS)


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
        return str(YES_NO[value])
    if isinstance(value, int) and path[-1].endswith("_fen"):
        return format_fen(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


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
