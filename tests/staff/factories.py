"""Building cases for staff tests: demo orders by situation, evidence files, submitted cases."""

import hashlib
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal.accounts.models import Customer, StaffUser
from portal.cases.models import EvidenceFile, RefundCase
from portal.cases.services import CaseRequest, assess_order, submit_case
from portal.clock import utcnow
from portal.demo.builder import DEMO_PHONE
from portal.demo.situations import SITUATIONS
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, PaymentRoute, Usage
from portal.orders.models import Order, Product
from portal.policy.kinds import RefundType

# A 1×1 PNG: real image bytes for the evidence viewer.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005050201a5d3a2f70000000049454e44ae426082"
)


def demo_customer() -> Customer:
    return db.session.scalar(select(Customer).where(Customer.phone == DEMO_PHONE))


def staff(username: str) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def situation_order(key: str) -> Order:
    """The demo customer's order for a named situation (situations are numbered in list order)."""
    index = next(i for i, s in enumerate(SITUATIONS) if s.key == key)
    return db.session.scalar(
        select(Order).where(Order.customer_id == demo_customer().id, Order.number.like(f"%{index + 1:08d}"))
    )


def add_evidence(customer_id: int, item: str, data: bytes = PNG, sha256: str | None = None) -> EvidenceFile:
    storage = LocalStorage(Path(current_app.config["UPLOAD_FOLDER"]))
    key = storage.save(data, ".png")
    evidence = EvidenceFile(
        public_id=secrets.token_urlsafe(18),
        customer_id=customer_id,
        checklist_key=item,
        storage_key=key,
        thumb_key=None,
        kind="image",
        mime="image/png",
        original_name=f"{item}.png",
        size=len(data),
        sha256=sha256 or hashlib.sha256(data + secrets.token_bytes(8)).hexdigest(),
        width=1,
        height=1,
    )
    db.session.add(evidence)
    db.session.flush()
    return evidence


def open_case(
    order: Order,
    refund_type: RefundType = RefundType.NOT_RECEIVED,
    amount_fen: int | None = None,
    urgent: bool = False,
    evidence_sha: str | None = None,
    with_evidence: bool = True,
) -> RefundCase:
    """Submit a case for the order with every required checklist item uploaded."""
    assessment = assess_order(order, refund_type)
    assert assessment.eligible, assessment.reason_code
    ids = ()
    if with_evidence:
        ids = tuple(
            add_evidence(order.customer_id, item.key, sha256=evidence_sha).id
            for item in assessment.checklist
            if item.required or evidence_sha
        )
    return submit_case(
        CaseRequest(
            customer_id=order.customer_id,
            order_id=order.id,
            refund_type=refund_type,
            reason_text="test reason",
            amount_fen=amount_fen or assessment.suggested_fen,
            idempotency_key=secrets.token_hex(16),
            evidence_ids=ids,
            urgent=urgent,
        )
    )


def new_order(
    customer_id: int,
    sku: str = "GC-WOW-30",
    paid_ago: timedelta = timedelta(days=1),
    delivery: DeliveryStatus = DeliveryStatus.DELIVERED,
    account: str | None = None,
    recipient: str = "",
) -> Order:
    """A fresh unused order (for building patterns)."""
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    paid_at = utcnow() - paid_ago
    order = Order(
        number="T" + secrets.token_hex(8).upper(),
        customer_id=customer_id,
        product_id=product.id,
        product_title=product.name_zh,
        category=product.category,
        amount_fen=product.price_fen,
        payment_route=PaymentRoute.ALIPAY,
        payment_account=account if account is not None else f"alipay-{customer_id:06d}",
        paid_at=paid_at,
        fulfilment=Fulfilment.SHIPPED,
        usage=Usage.UNUSED,
        delivery_status=delivery,
        delivery_at=paid_at,
        abnormal=delivery.is_platform_failure,
        recipient=recipient,
    )
    db.session.add(order)
    db.session.flush()
    return order


def new_customer(phone: str) -> Customer:
    customer = Customer(phone=phone, locale="en")
    db.session.add(customer)
    db.session.flush()
    return customer


__all__ = ["Category", "PNG", "add_evidence", "open_case", "new_order", "situation_order", "staff"]
