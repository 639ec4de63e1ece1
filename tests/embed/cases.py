"""Cases for embed tests: a demo order submitted with its evidence, then decided and paid."""

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.cases.models import EvidenceFile, RefundCase
from portal.cases.services import CaseRequest, assess_order, move, submit_case
from portal.cases.states import Actor, CaseState
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from portal.orders.models import Order
from portal.policy.kinds import RefundType

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005050201a5d3a2f70000000049454e44ae426082"
)


def refundable_order(customer_id: int) -> tuple[Order, RefundType]:
    """The customer's first order that some refund type accepts."""
    for order in db.session.scalars(select(Order).where(Order.customer_id == customer_id).order_by(Order.id)):
        for refund_type in RefundType:
            if assess_order(order, refund_type).eligible:
                return order, refund_type
    raise AssertionError("no refundable demo order")


def _evidence(customer_id: int, key: str) -> EvidenceFile:
    storage_key = LocalStorage(Path(current_app.config["UPLOAD_FOLDER"])).save(PNG, ".png")
    evidence = EvidenceFile(
        public_id=secrets.token_urlsafe(18),
        customer_id=customer_id,
        checklist_key=key,
        storage_key=storage_key,
        kind="image",
        mime="image/png",
        original_name=f"{key}.png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG + secrets.token_bytes(8)).hexdigest(),
        width=1,
        height=1,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def submit_demo_case(customer_id: int) -> RefundCase:
    """Submit a case for a refundable order, with every required checklist item uploaded."""
    order, refund_type = refundable_order(customer_id)
    assessment = assess_order(order, refund_type)
    ids = tuple(_evidence(customer_id, item.key).id for item in assessment.checklist if item.required)
    return submit_case(
        CaseRequest(
            customer_id=customer_id,
            order_id=order.id,
            refund_type=refund_type,
            reason_text="embed test",
            amount_fen=assessment.suggested_fen,
            idempotency_key=secrets.token_hex(16),
            evidence_ids=ids,
        )
    )


def approve(case: RefundCase) -> None:
    """Review and approve the case in full (staff), committed."""
    on_the_way = {
        CaseState.SUBMITTED: CaseState.EVIDENCE_RECEIVED,
        CaseState.EVIDENCE_RECEIVED: CaseState.UNDER_REVIEW,
    }
    while case.state in on_the_way:
        move(case, on_the_way[CaseState(case.state)], Actor.SYSTEM, None)
    case.approved_fen = case.requested_fen
    move(case, CaseState.APPROVED, Actor.STAFF, None)
    db.session.commit()


def pay(case: RefundCase) -> None:
    """Execute the approved case and record the money as returned, committed."""
    move(case, CaseState.EXECUTING, Actor.SYSTEM, None)
    move(case, CaseState.REFUNDED, Actor.SYSTEM, None)
    db.session.commit()
