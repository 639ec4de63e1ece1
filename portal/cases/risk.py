"""Risk signals: patterns that send a case to a human and keep it from automatic approval.

Each flag is stored on the case as {"code": ..., "params": {...}}; `cases.labels.flag_message` turns it
into a sentence that says why it was raised (translation happens at the edge). Flags are computed
when a case opens (and again when new evidence arrives); a flag once raised is never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal.cases.models import RefundCase
from portal.clock import utcnow
from portal.evidence.models import EvidenceFile
from portal.extensions import db
from portal.orders.models import Order


@dataclass(frozen=True)
class RiskThresholds:
    """When a pattern becomes a signal; counts include the case being checked."""

    window_days: int = 30
    quick_hours: int = 6  # a refund asked for within this many hours of paying is a "quick" one
    quick_count: int = 3  # this many quick refunds within the window is buy-then-refund
    per_phone: int = 5  # refund requests by one phone number (one customer) within the window
    per_account: int = 5  # refund requests paid from one payment account within the window
    per_recipient: int = 5  # refund requests for top-ups to one phone number within the window


THRESHOLDS = RiskThresholds()


@dataclass(frozen=True)
class RiskHistory:
    """What the records say around one case (all counts within the window, this case included)."""

    quick_refunds: int
    by_phone: int
    by_account: int
    account_customers: int
    by_recipient: int
    duplicate_cases: tuple[str, ...]


def evaluate(
    history: RiskHistory, order: Order, phone: str, limits: RiskThresholds = THRESHOLDS
) -> list[dict]:
    """The flags the history raises, each with the numbers that explain it."""
    days = limits.window_days
    flags = []
    if history.quick_refunds >= limits.quick_count:
        flags.append(_flag("quick_refunds", count=history.quick_refunds, hours=limits.quick_hours, days=days))
    if history.by_phone >= limits.per_phone:
        flags.append(_flag("many_refunds_phone", count=history.by_phone, phone=mask(phone), days=days))
    if order.payment_account and history.by_account >= limits.per_account:
        flags.append(
            _flag(
                "many_refunds_account",
                count=history.by_account,
                account=mask(order.payment_account),
                customers=history.account_customers,
                days=days,
            )
        )
    if order.recipient and history.by_recipient >= limits.per_recipient:
        flags.append(
            _flag(
                "many_refunds_recipient",
                count=history.by_recipient,
                recipient=mask(order.recipient),
                days=days,
            )
        )
    if history.duplicate_cases:
        flags.append(_flag("duplicate_evidence", cases=", ".join(history.duplicate_cases)))
    return flags


def collect(case: RefundCase, now: datetime, limits: RiskThresholds = THRESHOLDS) -> RiskHistory:
    """Read the records the signals look at (the case must be flushed, with its evidence attached)."""
    since = now - timedelta(days=limits.window_days)
    order = case.order
    own = db.session.execute(
        select(RefundCase.created_at, Order.paid_at)
        .join(Order, Order.id == RefundCase.order_id)
        .where(RefundCase.customer_id == case.customer_id, RefundCase.created_at >= since)
    ).all()
    quick = timedelta(hours=limits.quick_hours)
    by_account, account_customers = _account_counts(order.payment_account, since)
    return RiskHistory(
        quick_refunds=sum(created - paid <= quick for created, paid in own),
        by_phone=len(own),
        by_account=by_account,
        account_customers=account_customers,
        by_recipient=_recipient_count(order.recipient, since),
        duplicate_cases=duplicate_cases(case),
    )


def assess_case(case: RefundCase, now: datetime | None = None) -> list[dict]:
    """The risk flags for a case, from the records as they are now."""
    return evaluate(collect(case, now or utcnow()), case.order, case.customer.phone)


def refresh_flags(case: RefundCase, now: datetime | None = None) -> list[dict]:
    """Recompute the case's flags, keeping any raised before (new numbers replace old ones)."""
    fresh = {f["code"]: f for f in assess_case(case, now)}
    kept = [f for f in case.risk_flags or [] if f.get("code") not in fresh]
    # A new list, so that the JSON column sees the change.
    case.risk_flags = kept + list(fresh.values())
    return case.risk_flags


def duplicate_cases(case: RefundCase) -> tuple[str, ...]:
    """Numbers of other cases that carry a file with the same content as one of this case's files."""
    hashes = select(EvidenceFile.sha256).where(
        EvidenceFile.case_id == case.id, EvidenceFile.removed_at.is_(None)
    )
    numbers = db.session.scalars(
        select(RefundCase.number)
        .join(EvidenceFile, EvidenceFile.case_id == RefundCase.id)
        .where(EvidenceFile.sha256.in_(hashes), RefundCase.id != case.id)
        .distinct()
        .order_by(RefundCase.number)
    ).all()
    return tuple(numbers)


def mask(value: str) -> str:
    """Enough of a phone number or account to recognise it, not enough to misuse it."""
    digits = value.removeprefix("+86")
    if len(digits) <= 7:
        return digits[:2] + "****"
    return f"{digits[:3]}****{digits[-4:]}"


def _flag(code: str, **params) -> dict:
    return {"code": code, "params": params}


def _account_counts(account: str, since: datetime) -> tuple[int, int]:
    if not account:
        return 0, 0
    count, customers = db.session.execute(
        select(func.count(RefundCase.id), func.count(func.distinct(RefundCase.customer_id)))
        .join(Order, Order.id == RefundCase.order_id)
        .where(Order.payment_account == account, RefundCase.created_at >= since)
    ).one()
    return count, customers


def _recipient_count(recipient: str, since: datetime) -> int:
    if not recipient:
        return 0
    return db.session.scalar(
        select(func.count(RefundCase.id))
        .join(Order, Order.id == RefundCase.order_id)
        .where(Order.recipient == recipient, RefundCase.created_at >= since)
    )
