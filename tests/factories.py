"""The one place tests build things: signed-in clients, customers, staff, orders, evidence, cases, decisions.

Two kinds of orders: the demo world's (`situation_order`, `find_order`: built by `portal.demo`, the `world`
fixture) and bare ones made here (`new_order` from the demo catalogue, `make_order` from a test product).
"""

import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from portal.accounts.models import Customer, StaffRole, StaffUser
from portal.accounts.services import open_session
from portal.cases import partial_appeal
from portal.cases.models import RefundCase
from portal.cases.services import CaseRequest, assess_order, move, submit_case
from portal.cases.states import Actor, CaseState
from portal.clock import utcnow
from portal.demo.builder import DEMO_PHONE
from portal.demo.situations import SITUATIONS
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import LocalStorage
from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, PaymentRoute, Usage
from portal.orders.models import Order, Product
from portal.payouts import services as payouts
from portal.payouts.models import Payout
from portal.payouts.states import SuccessSource
from portal.policy.kinds import RefundType
from portal.staff import services as staff_services
from tests.samples import jpeg

# A 1×1 PNG: real image bytes for the evidence viewer.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005050201a5d3a2f70000000049454e44ae426082"
)
PHONE = "+8613800138000"  # the demo customer 王先生
OTHER_PHONE = "+8613900139000"  # 李女士, another demo customer
GREEN_CHANNEL_FEN = 50_000  # the default rule: at or above it a case is green-channel (1 working day)


# --- Signing in (without the SMS round trip, which is tested on its own) ---


def _attach(client, login_id: str) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = login_id
        session["_fresh"] = True


def sign_in_customer(client, app, phone: str = PHONE, embed: bool = False) -> int:
    """Open a server-side session for the customer (created if new) and give the client its cookie."""
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.phone == phone))
        if customer is None:
            customer = Customer(phone=phone)
            db.session.add(customer)
            db.session.commit()
        login = open_session(customer, embed=embed)
        customer_id, login_id = customer.id, login.id
    _attach(client, login_id)
    return customer_id


def sign_in_staff(client, app, username: str) -> int:
    """Sign in a demo staff user (the demo world must exist)."""
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        login = open_session(user)
        user_id, login_id = user.id, login.id
    _attach(client, login_id)
    return user_id


# --- People ---


def demo_customer() -> Customer:
    return db.session.scalar(select(Customer).where(Customer.phone == DEMO_PHONE))


def new_customer(phone: str = PHONE, locale: str = "en") -> Customer:
    """The customer with this phone, created if new."""
    found = db.session.scalar(select(Customer).where(Customer.phone == phone))
    if found is None:
        found = Customer(phone=phone, locale=locale, name="Test")
        db.session.add(found)
        db.session.flush()
    return found


def staff(username: str) -> StaffUser:
    """A demo staff member (the demo world must exist)."""
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def new_staff(username: str = "senior", role: StaffRole = StaffRole.SENIOR) -> StaffUser:
    """The staff member with this username, created if new (password: username + "-demo")."""
    found = staff(username)
    if found is None:
        found = StaffUser(username=username, display_name=username, role=role)
        found.set_password(username + "-demo")
        db.session.add(found)
        db.session.flush()
    return found


# --- Orders ---


def situation_order(key: str) -> Order:
    """The demo customer's order for a named situation (situations are numbered in list order)."""
    index = next(i for i, s in enumerate(SITUATIONS) if s.key == key)
    return db.session.scalar(
        select(Order).where(Order.customer_id == demo_customer().id, Order.number.like(f"%{index + 1:08d}"))
    )


def find_order(
    customer_id: int,
    refund_type: RefundType | None,
    auto: bool | None = None,
    review_days: int | None = None,
) -> tuple[Order, RefundType]:
    """An order of the customer refundable with this type (any type when None) matching the filters."""
    types = [refund_type] if refund_type else list(RefundType)
    for order in db.session.scalars(select(Order).where(Order.customer_id == customer_id).order_by(Order.id)):
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


def new_order(
    customer_id: int,
    sku: str = "GC-WOW-30",
    paid_ago: timedelta = timedelta(days=1),
    delivery: DeliveryStatus = DeliveryStatus.DELIVERED,
    account: str | None = None,
    recipient: str = "",
) -> Order:
    """A fresh unused order of a demo product (for building patterns; the demo world must exist)."""
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


def card_product() -> Product:
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
    """A paid order whose delivery failed (no demo world needed)."""
    owner = new_customer(phone)
    item = card_product()
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


# --- Evidence and cases ---


def add_evidence(customer_id: int, item: str, data: bytes = PNG, sha256: str | None = None) -> EvidenceFile:
    """A stored evidence file (a real PNG in the upload folder) for a checklist item."""
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
    reason: str = "test reason",
) -> RefundCase:
    """Submit a case for the order, as the wizard does, with every required checklist item uploaded."""
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
            reason_text=reason,
            amount_fen=amount_fen or assessment.suggested_fen,
            idempotency_key=secrets.token_hex(16),
            evidence_ids=ids,
            urgent=urgent,
        )
    )


def open_case_for(
    customer_id: int,
    refund_type: RefundType | None = RefundType.TRIAL_NO_REASON,
    auto: bool | None = False,
    review_days: int | None = None,
) -> RefundCase:
    """Submit a case for the customer's first order that fits (type None: any type; auto: auto-approvable)."""
    order, kind = find_order(customer_id, refund_type, auto, review_days)
    return open_case(order, kind)


# --- Moving cases as staff and the system would ---


def advance(case_id: int, *targets: CaseState, actor: Actor = Actor.STAFF, **fields) -> RefundCase:
    """Move a case through states as staff/system would (fields set on the case first), committing."""
    case = db.session.get(RefundCase, case_id)
    for name, value in fields.items():
        setattr(case, name, value)
    for target in targets:
        who = (
            Actor.SYSTEM
            if (case.state, target) == (CaseState.SUBMITTED, CaseState.EVIDENCE_RECEIVED)
            else actor
        )
        move(case, target, who, None, reason=fields.get("decision_note", ""))
    db.session.commit()
    return case


def approve(case: RefundCase, amount_fen: int | None = None) -> Payout | None:
    """Review (if not yet under review) and approve the case, in full or in part, committed.

    Returns the payout the approval scheduled.
    """
    on_the_way = {
        CaseState.SUBMITTED: CaseState.EVIDENCE_RECEIVED,
        CaseState.EVIDENCE_RECEIVED: CaseState.UNDER_REVIEW,
    }
    while case.state in on_the_way:
        move(case, on_the_way[CaseState(case.state)], Actor.SYSTEM, None)
    case.approved_fen = amount_fen if amount_fen is not None else case.requested_fen
    move(case, CaseState.APPROVED, Actor.STAFF, None, data={"amount_fen": case.approved_fen})
    db.session.commit()
    return db.session.scalar(select(Payout).where(Payout.case_id == case.id))


def pay(case: RefundCase) -> None:
    """Execute the approved case and record the money as returned, committed."""
    move(case, CaseState.EXECUTING, Actor.SYSTEM, None)
    move(case, CaseState.REFUNDED, Actor.SYSTEM, None)
    db.session.commit()


def approved_payout(
    route: PaymentRoute = PaymentRoute.ALIPAY, amount_fen: int = 3000, paid_fen: int = 3000
) -> int:
    """A new order, case and approval; returns the payout id."""
    order = make_order(route, paid_fen)
    case = make_case(order, amount_fen)
    return approve(case, amount_fen).id


def settle(payout: Payout) -> None:
    """The gateway's word that the payout's money went back (order's refunded total raised), committed."""
    payouts.apply_success(payouts.lock_payout(payout.id), SuccessSource.QUERY, "REF")
    db.session.commit()


def partly_approve(case: RefundCase, amount_fen: int, by: str = "reviewer") -> Payout:
    """A reviewer approves `amount_fen` of what was asked (through the staff service); returns its payout."""
    approval = staff_services.Approval(amount_fen, "Part.")
    decided = staff_services.approve(case, case.version, staff(by), approval)
    return db.session.scalar(select(Payout).where(Payout.case_id == decided.id))


def appeal_partial(case: RefundCase, text: str = "I want the rest back.") -> RefundCase:
    """The customer appeals the case's partial approval (as the 申诉 form does); the appeal, committed."""
    appeal = partial_appeal.open_appeal(case, case.customer_id, text, utcnow())
    db.session.commit()
    return appeal


# --- Reading back ---


def fresh(model, ident):
    """The row as the database has it now (other sessions may have changed it)."""
    db.session.rollback()
    return db.session.get(model, ident, populate_existing=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Driving the refund wizard as the signed-in customer ---


@dataclass
class Journey:
    client: object
    app: object
    customer_id: int
    orders: dict[str, int]  # situation key → order id

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, **kwargs)

    def choose(self, order_id: int, refund_type: str):
        return self.post(f"/orders/{order_id}/refund?lang=en", data={"refund_type": refund_type})

    def describe(self, order_id: int, reason: str = "The card never arrived.", amount: str | None = None):
        data = {"reason": reason}
        if amount is None:
            amount = self._suggested(order_id)
        data["amount"] = amount
        return self.post(f"/orders/{order_id}/refund/reason?lang=en", data=data)

    def upload(self, order_id: int, item: str, content: bytes, name: str = "shot.jpg", headers=None):
        return self.post(
            f"/orders/{order_id}/refund/evidence?lang=en",
            data={"item": item, "file": (io.BytesIO(content), name)},
            content_type="multipart/form-data",
            headers=headers or {},
        )

    def ready_to_submit(self, order_id: int, refund_type: str, item: str | None):
        """Type, reason and (if an item is named) one screenshot: the review page is next."""
        assert self.choose(order_id, refund_type).status_code == 303
        assert self.describe(order_id).status_code == 303
        if item:
            assert self.upload(order_id, item, jpeg()).status_code == 303

    def idempotency_key(self, order_id: int) -> str:
        html = self.get(f"/orders/{order_id}/refund/review?lang=en").get_data(as_text=True)
        return re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', html).group(1)

    def _suggested(self, order_id: int) -> str:
        html = self.get(f"/orders/{order_id}/refund/reason?lang=en").get_data(as_text=True)
        return re.search(r'name="amount"[^>]*value="([^"]*)"', html).group(1)
