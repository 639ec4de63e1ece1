"""Building orders and approved cases for payout tests, and delivering the sandbox's notifications."""

import json
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.accounts.models import Customer, StaffRole, StaffUser
from portal.cases.models import RefundCase
from portal.cases.services import move
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, PaymentRoute, Usage
from portal.orders.models import Order, Product
from portal.payouts.models import Payout
from portal.payouts.services import PayoutSettings
from portal.policy.kinds import RefundType

TEST_SECRET = "test-gateway-secret"
PHONE = "+8613800138000"


def settings() -> PayoutSettings:
    return PayoutSettings.from_config(current_app.config)


def customer(phone: str = PHONE, locale: str = "en") -> Customer:
    found = db.session.scalar(select(Customer).where(Customer.phone == phone))
    if found is None:
        found = Customer(phone=phone, locale=locale, name="Test")
        db.session.add(found)
        db.session.flush()
    return found


def staff_user(username: str = "senior", role: StaffRole = StaffRole.SENIOR) -> StaffUser:
    found = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if found is None:
        found = StaffUser(username=username, display_name=username, role=role)
        found.set_password(username + "-demo")
        db.session.add(found)
        db.session.flush()
    return found


def product() -> Product:
    found = db.session.scalar(select(Product).where(Product.sku == "T-CARD"))
    if found is None:
        found = Product(
            sku="T-CARD", name_zh="测试点卡", name_en="Test card", category=Category.GAME_CARD, price_fen=3000
        )
        db.session.add(found)
        db.session.flush()
    return found


def make_order(
    route: PaymentRoute = PaymentRoute.ALIPAY,
    amount_fen: int = 3000,
    refunded_fen: int = 0,
    phone: str = PHONE,
) -> Order:
    owner = customer(phone)
    item = product()
    paid_at = utcnow() - timedelta(days=1)
    order = Order(
        number="T" + secrets.token_hex(8).upper(),
        customer_id=owner.id,
        product_id=item.id,
        product_title=item.name_zh,
        category=item.category,
        amount_fen=amount_fen,
        refunded_fen=refunded_fen,
        payment_route=route,
        payment_account="" if route == PaymentRoute.OFFLINE else f"{route}-{owner.id:06d}",
        paid_at=paid_at,
        fulfilment=Fulfilment.SHIPPED,
        usage=Usage.UNUSED,
        delivery_status=DeliveryStatus.SYSTEM_FAULT,
        delivery_at=paid_at,
        abnormal=True,
    )
    db.session.add(order)
    db.session.flush()
    return order


def make_case(order: Order, requested_fen: int | None = None) -> RefundCase:
    """An open case under review for the order (the review itself is another feature's business)."""
    now = utcnow()
    requested = requested_fen if requested_fen is not None else order.amount_fen - order.refunded_fen
    case = RefundCase(
        number="RF" + secrets.token_hex(6).upper(),
        order_id=order.id,
        customer_id=order.customer_id,
        refund_type=RefundType.NOT_RECEIVED,
        state=CaseState.UNDER_REVIEW,
        is_open=True,
        reason_text="not received",
        requested_fen=requested,
        suggested_fen=requested,
        clause="test",
        idempotency_key=secrets.token_hex(16),
        created_at=now,
        updated_at=now,
    )
    db.session.add(case)
    db.session.flush()
    return case


def approve(case: RefundCase, amount_fen: int | None = None) -> Payout:
    """Staff approve the case (full or partial) and commit; the payout is scheduled by the hook."""
    case.approved_fen = amount_fen if amount_fen is not None else case.requested_fen
    move(case, CaseState.APPROVED, Actor.STAFF, None, data={"amount_fen": case.approved_fen})
    db.session.commit()
    return db.session.scalar(select(Payout).where(Payout.case_id == case.id))


def approved_payout(
    route: PaymentRoute = PaymentRoute.ALIPAY, amount_fen: int = 3000, paid_fen: int = 3000
) -> int:
    """A new order, case and approval; returns the payout id."""
    order = make_order(route, paid_fen)
    case = make_case(order, amount_fen)
    return approve(case, amount_fen).id


def fresh(model, ident):
    """The row as the database has it now (other sessions may have changed it)."""
    db.session.rollback()
    return db.session.get(model, ident, populate_existing=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def deliver(client, note: dict, body: bytes | None = None, headers: dict | None = None):
    """POST one of the sandbox's notifications to our endpoint, as the gateway would."""
    payload = json.loads(note["body"])
    return client.post(
        f"/payouts/notify/{payload['route']}",
        data=body if body is not None else note["body"].encode(),
        headers=headers if headers is not None else note["headers"],
    )
