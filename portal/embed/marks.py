"""Claiming the case events a customer's page announces to the APP: each one once, whatever the page."""

import logging
from collections.abc import Callable

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from portal.cases.models import CaseEvent, RefundCase
from portal.clock import utcnow
from portal.embed.bridge import BridgeEvent, CaseChange, events_for
from portal.embed.models import BridgeMark
from portal.extensions import db
from portal.orders.models import Order

log = logging.getLogger(__name__)

BATCH = 50


def claim_events(customer_id: int, case_url: Callable[[int], str]) -> list[BridgeEvent]:
    """Bridge events for case changes not yet announced to this customer's APP, marked announced.

    Runs in its own short transaction, so a page view never commits the view's work. The first page ever
    shown inside the APP sets the mark without announcing history. A failure only delays the events.
    """
    try:
        with db.engine.begin() as conn:
            mark = conn.execute(
                select(BridgeMark.last_event_id).where(BridgeMark.customer_id == customer_id)
            ).scalar()
            if mark is None:
                baseline = conn.execute(select(func.max(CaseEvent.id))).scalar() or 0
                conn.execute(
                    insert(BridgeMark).values(
                        customer_id=customer_id, last_event_id=baseline, updated_at=utcnow()
                    )
                )
                return []
            rows = conn.execute(_changes_after(customer_id, mark)).all()
            if not rows:
                return []
            claimed = conn.execute(
                update(BridgeMark)
                .where(BridgeMark.customer_id == customer_id, BridgeMark.last_event_id == mark)
                .values(last_event_id=rows[-1].event_id, updated_at=utcnow())
            ).rowcount
            if claimed != 1:
                return []  # another page of this customer announced them a moment ago
    except SQLAlchemyError as exc:
        log.warning("bridge events for customer %s postponed: %s", customer_id, exc)
        return []
    return events_for(_change(row, case_url) for row in rows)


def _changes_after(customer_id: int, mark: int):
    return (
        select(
            CaseEvent.id.label("event_id"),
            CaseEvent.from_state,
            CaseEvent.to_state,
            RefundCase.id.label("case_id"),
            RefundCase.number.label("case_number"),
            RefundCase.requested_fen,
            RefundCase.approved_fen,
            Order.number.label("order_number"),
            Order.payment_route,
        )
        .join(RefundCase, RefundCase.id == CaseEvent.case_id)
        .join(Order, Order.id == RefundCase.order_id)
        .where(RefundCase.customer_id == customer_id, CaseEvent.id > mark)
        .order_by(CaseEvent.id)
        .limit(BATCH)
    )


def _change(row, case_url: Callable[[int], str]) -> CaseChange:
    return CaseChange(
        event_id=row.event_id,
        case_id=row.case_id,
        case_number=row.case_number,
        order_number=row.order_number,
        from_state=row.from_state,
        to_state=row.to_state,
        requested_fen=row.requested_fen,
        approved_fen=row.approved_fen,
        payment_route=str(row.payment_route),
        url=case_url(row.case_id),
    )
