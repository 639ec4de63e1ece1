"""The review queue's rules: which cases staff see, in what order, and what the filters mean (no Flask)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime

from portal.cases.states import CaseState
from portal.orders.kinds import Category
from portal.policy.kinds import RefundType

# States in which a case waits for staff; more_evidence waits for the customer but is listed too.
STAFF_STATES: tuple[CaseState, ...] = (
    CaseState.SUBMITTED,
    CaseState.EVIDENCE_RECEIVED,
    CaseState.UNDER_REVIEW,
    CaseState.APPEALED,
    CaseState.ARBITRATION,
    CaseState.MORE_EVIDENCE,
)
# Without a state filter the queue hides cases that wait for the customer, not for us.
DEFAULT_STATES: frozenset[CaseState] = frozenset(STAFF_STATES) - {CaseState.MORE_EVIDENCE}

_FLAGS = ("overdue", "green", "flagged", "mine")


@dataclass(frozen=True)
class QueueItem:
    """The few facts about one case that the queue needs."""

    id: int
    number: str
    state: CaseState
    category: Category
    refund_type: RefundType
    requested_fen: int
    green_channel: bool
    flag_count: int
    assigned_to_id: int | None
    due_at: datetime | None
    created_at: datetime

    def is_overdue(self, now: datetime) -> bool:
        """Past its current deadline while it still waits for staff."""
        return self.due_at is not None and self.due_at < now and self.state in DEFAULT_STATES


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer asked to see; empty means everything waiting for staff."""

    state: CaseState | None = None
    category: Category | None = None
    refund_type: RefundType | None = None
    overdue: bool = False
    green: bool = False
    flagged: bool = False
    mine: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> QueueFilter:
        """Read the filter from query arguments; unknown or malformed values are ignored."""
        return cls(
            state=_enum(CaseState, args.get("state"), STAFF_STATES),
            category=_enum(Category, args.get("category")),
            refund_type=_enum(RefundType, args.get("type")),
            **{flag: args.get(flag) in ("1", "on", "true") for flag in _FLAGS},
        )

    def to_args(self) -> dict[str, str]:
        """The query arguments that reproduce this filter (for links and pagers)."""
        out: dict[str, str] = {}
        if self.state:
            out["state"] = self.state.value
        if self.category:
            out["category"] = self.category.value
        if self.refund_type:
            out["type"] = self.refund_type.value
        out.update({flag: "1" for flag in _FLAGS if getattr(self, flag)})
        return out

    def with_(self, **changes) -> QueueFilter:
        """A copy with some fields changed (for the quick-filter links)."""
        return replace(self, **changes)

    @property
    def is_empty(self) -> bool:
        """True when no filter is set."""
        return all(not getattr(self, f.name) for f in fields(self))

    def matches(self, item: QueueItem, now: datetime, staff_id: int) -> bool:
        """Whether the item passes every filter that is set."""
        states = {self.state} if self.state else DEFAULT_STATES
        checks = (
            item.state in states,
            self.category is None or item.category == self.category,
            self.refund_type is None or item.refund_type == self.refund_type,
            not self.overdue or item.is_overdue(now),
            not self.green or item.green_channel,
            not self.flagged or item.flag_count > 0,
            not self.mine or item.assigned_to_id == staff_id,
        )
        return all(checks)


def urgency_key(item: QueueItem) -> tuple:
    """Green channel first, then the earliest deadline (none last), then the oldest."""
    return (not item.green_channel, item.due_at is None, item.due_at or item.created_at, item.created_at)


def select_queue(
    items: Iterable[QueueItem], filt: QueueFilter, now: datetime, staff_id: int
) -> list[QueueItem]:
    """The items passing the filter, most urgent first."""
    return sorted((i for i in items if filt.matches(i, now, staff_id)), key=urgency_key)


@dataclass(frozen=True)
class QueueCounts:
    """Headline numbers over everything waiting for staff (independent of the current filter)."""

    waiting: int
    overdue: int
    green: int
    flagged: int
    mine: int
    awaiting_customer: int
    by_state: dict[CaseState, int]


def count_queue(items: Iterable[QueueItem], now: datetime, staff_id: int) -> QueueCounts:
    """Count the open cases for the queue's header."""
    items = list(items)
    waiting = [i for i in items if i.state in DEFAULT_STATES]
    return QueueCounts(
        waiting=len(waiting),
        overdue=sum(i.is_overdue(now) for i in waiting),
        green=sum(i.green_channel for i in waiting),
        flagged=sum(i.flag_count > 0 for i in waiting),
        mine=sum(i.assigned_to_id == staff_id for i in waiting),
        awaiting_customer=sum(i.state is CaseState.MORE_EVIDENCE for i in items),
        by_state={s: sum(i.state is s for i in items) for s in STAFF_STATES},
    )


def page_of(items: list, page: int, per_page: int) -> tuple[list, int, int]:
    """One page of a list, the page number (from 1, clamped) and the number of pages."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(page, 1), pages)
    return items[(page - 1) * per_page : page * per_page], page, pages


def _enum(kind, value: str | None, allowed: Iterable | None = None):
    if not value:
        return None
    try:
        member = kind(value)
    except ValueError:
        return None
    if allowed is not None and member not in allowed:
        return None
    return member
