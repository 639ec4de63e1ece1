"""Building cases for lifecycle tests (also used by the browser tests): submit, and move like staff would."""

import secrets

from sqlalchemy import select

from portal.cases.models import EvidenceFile, RefundCase
from portal.cases.services import CaseRequest, assess_order, move, submit_case
from portal.cases.states import Actor, CaseState
from portal.extensions import db as _db
from portal.orders.models import Order
from portal.policy.kinds import RefundType

GREEN_CHANNEL_FEN = 50_000  # the default rule: at or above it a case is green-channel (1 working day)


def find_order(
    customer_id: int, refund_type: RefundType | None, auto: bool | None = None, review_days: int | None = None
) -> tuple[Order, RefundType]:
    """An order of the customer refundable with this type (any type when None) matching the filters."""
    types = [refund_type] if refund_type else list(RefundType)
    for order in _db.session.scalars(
        select(Order).where(Order.customer_id == customer_id).order_by(Order.id)
    ):
        for kind in types:
            assessment = assess_order(order, kind)
            if (
                assessment.eligible
                and (auto is None or assessment.auto_approvable == auto)
                and (review_days is None or assessment.review_working_days == review_days)
                and (review_days is None or assessment.suggested_fen < GREEN_CHANNEL_FEN)
            ):
                return order, kind
    raise LookupError(f"no order for {refund_type}")


def _evidence_for(customer_id: int, keys: list[str]) -> tuple[int, ...]:
    """Evidence rows for the required checklist items (the files themselves do not matter here)."""
    rows = [
        EvidenceFile(
            public_id=secrets.token_urlsafe(12),
            customer_id=customer_id,
            checklist_key=key,
            storage_key=f"{secrets.token_hex(8)}.png",
            kind="image",
            mime="image/png",
            size=1,
            sha256=secrets.token_hex(32),
        )
        for key in keys
    ]
    _db.session.add_all(rows)
    _db.session.flush()
    return tuple(row.id for row in rows)


def open_case(
    customer_id: int,
    refund_type: RefundType | None = RefundType.TRIAL_NO_REASON,
    auto: bool = False,
    review_days: int | None = None,
) -> int:
    """Submit a case (with evidence rows when the checklist needs them) and return its id."""
    order, kind = find_order(customer_id, refund_type, auto, review_days)
    assessment = assess_order(order, kind)
    required = [item.key for item in assessment.checklist if item.required]
    case = submit_case(
        CaseRequest(
            customer_id=customer_id,
            order_id=order.id,
            refund_type=kind,
            reason_text="Not what I needed.",
            amount_fen=assessment.suggested_fen,
            idempotency_key=secrets.token_hex(16),
            evidence_ids=_evidence_for(customer_id, required),
        )
    )
    return case.id


def advance(case_id: int, *targets: CaseState, actor: Actor = Actor.STAFF, **fields) -> RefundCase:
    """Move a case through states as staff/system would (fields set on the case first), committing."""
    case = _db.session.get(RefundCase, case_id)
    for name, value in fields.items():
        setattr(case, name, value)
    for target in targets:
        who = (
            Actor.SYSTEM
            if (case.state, target) == (CaseState.SUBMITTED, CaseState.EVIDENCE_RECEIVED)
            else actor
        )
        move(case, target, who, None, reason=fields.get("decision_note", ""))
    _db.session.commit()
    return case
