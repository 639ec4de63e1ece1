"""What an order can still give back: one ledger across all of its refund cases, in integer fen.

    remaining = paid − refunded − reserved

- paid: what the customer paid for the order;
- refunded: money that has gone back (payouts that succeeded, and refunds made before this portal);
- reserved: money claimed by the order's open cases — an approved amount not yet paid out, or the
  amount asked for while the case is being decided.

Every amount proposed to a customer or decided by staff (full, pro rata, a percentage, a staff
partial) is taken from `remaining`; a rule that grants a share of the order in total grants it once,
so what already went back or is claimed counts against it. Plain arithmetic: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

PERMILLE = 1000


class OverRefund(ValueError):
    """An amount above what the order can still give back; `.remaining_fen` says how much that is."""

    def __init__(self, amount_fen: int, remaining_fen: int):
        super().__init__(f"{amount_fen} fen asked, {remaining_fen} fen remain")
        self.amount_fen = amount_fen
        self.remaining_fen = remaining_fen


@dataclass(frozen=True)
class Ledger:
    """One order's money: paid, gone back, and claimed by open cases."""

    paid_fen: int
    refunded_fen: int = 0
    reserved_fen: int = 0

    def __post_init__(self) -> None:
        if min(self.paid_fen, self.refunded_fen, self.reserved_fen) < 0:
            raise ValueError("ledger amounts must not be negative")

    @property
    def committed_fen(self) -> int:
        """Gone back or promised: what no new claim may take again."""
        return self.refunded_fen + self.reserved_fen

    @property
    def remaining_fen(self) -> int:
        """What the order can still give back."""
        return max(0, self.paid_fen - self.committed_fen)

    @property
    def fully_refunded(self) -> bool:
        return self.paid_fen > 0 and self.refunded_fen >= self.paid_fen

    def entitled(self, total_fen: int) -> int:
        """What a rule granting `total_fen` on this order in all still gives, within what remains."""
        return max(0, min(total_fen - self.committed_fen, self.remaining_fen))

    def check(self, amount_fen: int) -> None:
        """Raise OverRefund unless `amount_fen` fits in what remains (positive is the caller's check)."""
        if amount_fen > self.remaining_fen:
            raise OverRefund(amount_fen, self.remaining_fen)

    def with_reserved(self, amount_fen: int) -> Ledger:
        """The ledger once `amount_fen` more is claimed."""
        return Ledger(self.paid_fen, self.refunded_fen, self.reserved_fen + amount_fen)


def share_fen(paid_fen: int, permille: int) -> int:
    """`permille`/1000 of what was paid, rounded down to the fen (the customer never gets a rounding gift
    that the ledger cannot account for, and the platform keeps at most one fen)."""
    if not 0 <= permille <= PERMILLE:
        raise ValueError("permille must be within 0..1000")
    return paid_fen * permille // PERMILLE


def percent_fen(paid_fen: int, percent: int) -> int:
    """`percent`% of what was paid, rounded down to the fen."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be within 0..100")
    return paid_fen * percent // 100
