"""Fixtures for the case lifecycle: the demo world, a signed-in demo customer, and cases to follow."""

import secrets

import pytest
from sqlalchemy import select

from portal.cases.models import RefundCase
from portal.cases.services import CaseRequest, assess_order, move, submit_case
from portal.cases.states import Actor, CaseState
from portal.demo.builder import DEMO_PHONE, build
from portal.extensions import db as _db
from portal.orders.models import Order
from portal.policy.kinds import RefundType
from tests.helpers import sign_in_customer


def fast_passwords(monkeypatch) -> None:
    """Demo staff passwords hashed with one PBKDF2 round: scrypt costs ~2 s per demo world."""
    from werkzeug.security import generate_password_hash

    from portal.accounts.models import StaffUser

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="pbkdf2:sha256:1")

    monkeypatch.setattr(StaffUser, "set_password", set_password)


@pytest.fixture
def world(db, monkeypatch):
    """The demo world; returns the demo customer's id."""
    fast_passwords(monkeypatch)
    build()
    from portal.accounts.models import Customer

    return _db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE))


def find_order(customer_id: int, refund_type: RefundType, auto: bool | None = None) -> Order:
    """An order of the customer that may be refunded with this type without required evidence."""
    for order in _db.session.scalars(
        select(Order).where(Order.customer_id == customer_id).order_by(Order.id)
    ):
        assessment = assess_order(order, refund_type)
        needs_files = any(item.required for item in assessment.checklist)
        if assessment.eligible and not needs_files and (auto is None or assessment.auto_approvable == auto):
            return order
    raise LookupError(f"no order for {refund_type}")


def open_case(
    customer_id: int, refund_type: RefundType = RefundType.TRIAL_NO_REASON, auto: bool = False
) -> int:
    """Submit a case (no evidence needed, not auto-approved unless asked) and return its id."""
    order = find_order(customer_id, refund_type, auto)
    assessment = assess_order(order, refund_type)
    case = submit_case(
        CaseRequest(
            customer_id=customer_id,
            order_id=order.id,
            refund_type=refund_type,
            reason_text="Not what I needed.",
            amount_fen=assessment.suggested_fen,
            idempotency_key=secrets.token_hex(16),
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


@pytest.fixture
def customer(app, client, world):
    """The demo customer, signed in on `client`; returns the id."""
    return sign_in_customer(client, app, DEMO_PHONE)
