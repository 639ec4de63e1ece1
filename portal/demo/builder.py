"""Deterministic demo data: staff, catalogue, policy, the demo customer's situations, and bulk orders."""

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select

from portal.accounts.models import Customer, StaffRole, StaffUser
from portal.clock import utcnow
from portal.demo.catalog import PRODUCTS
from portal.demo.situations import SITUATIONS, Situation
from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, PaymentRoute, Usage
from portal.orders.models import Order, Product
from portal.policy.publishing import ensure_published_default

DEMO_PHONE = "+8613800138000"
STAFF = [
    ("reviewer", "审核员 小王", StaffRole.REVIEWER),
    ("reviewer2", "审核员 小李", StaffRole.REVIEWER),
    ("senior", "高级审核 张主管", StaffRole.SENIOR),
    ("editor", "政策编辑 陈编辑", StaffRole.EDITOR),
    ("admin", "管理员", StaffRole.ADMIN),
]
DEV_PASSWORD_SUFFIX = "-demo"  # reviewer / reviewer-demo, … (development only; see README)
OTHER_CUSTOMERS = [("+8613900139000", "李女士", "zh_CN"), ("+8613700137000", "Alex Chen", "en")]


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Product))


def build(now: datetime | None = None) -> dict:
    """Create the whole demo world; returns counts."""
    now = now or utcnow()
    seed_staff()
    products = seed_catalogue()
    seed_policy()
    demo = Customer(phone=DEMO_PHONE, name="王先生", locale="zh_CN", has_app=True)
    db.session.add(demo)
    db.session.flush()
    numbers = NumberSequence(now)
    for situation in SITUATIONS:
        db.session.add(situation_order(situation, demo.id, products[situation.sku], now, numbers.next()))
    rng = random.Random(20261128)
    for _ in range(24):  # ordinary history, so that paging and search have something to do
        db.session.add(random_order(rng, demo.id, list(products.values()), now, numbers.next()))
    for phone, name, locale in OTHER_CUSTOMERS:
        other = Customer(phone=phone, name=name, locale=locale)
        db.session.add(other)
        db.session.flush()
        for _ in range(6):
            db.session.add(random_order(rng, other.id, list(products.values()), now, numbers.next()))
    db.session.commit()
    return {"products": len(products), "orders": len(SITUATIONS) + 24 + 6 * len(OTHER_CUSTOMERS)}


def seed_staff() -> None:
    for username, display_name, role in STAFF:
        user = StaffUser(username=username, display_name=display_name, role=role)
        user.set_password(username + DEV_PASSWORD_SUFFIX, current_app.config["PASSWORD_HASH_METHOD"])
        db.session.add(user)


def seed_catalogue() -> dict[str, Product]:
    products = {}
    for sku, name_zh, name_en, category, price, trial_days in PRODUCTS:
        product = Product(
            sku=sku,
            name_zh=name_zh,
            name_en=name_en,
            category=category,
            price_fen=price,
            trial_days=trial_days,
        )
        db.session.add(product)
        products[sku] = product
    db.session.flush()
    return products


def seed_policy() -> None:
    ensure_published_default()


class NumberSequence:
    """Order numbers like ZS2026112800000001: the date, then a running number."""

    def __init__(self, now: datetime, start: int = 1):
        self.prefix = "ZS" + now.strftime("%Y%m%d")
        self.counter = start - 1

    def next(self) -> str:
        self.counter += 1
        return f"{self.prefix}{self.counter:08d}"


def situation_order(s: Situation, customer_id: int, product: Product, now: datetime, number: str) -> Order:
    paid_at = now - s.age
    activated_at = paid_at + s.activated_after if s.activated_after else None
    return Order(
        number=number,
        customer_id=customer_id,
        product_id=product.id,
        product_title=product.name_zh,
        category=product.category,
        amount_fen=product.price_fen,
        refunded_fen=product.price_fen * s.refunded_share // 100,
        payment_route=s.route,
        payment_account=_account_for(s.route, customer_id),
        paid_at=paid_at,
        fulfilment=s.fulfilment,
        usage=s.usage,
        used_permille=s.used_permille,
        activated_at=activated_at,
        last_used_at=activated_at,
        trial_ends_at=activated_at + timedelta(days=product.trial_days)
        if activated_at and product.trial_days
        else None,
        delivery_status=s.delivery,
        delivery_note=s.note,
        delivery_at=paid_at + timedelta(minutes=1),
        abnormal=s.abnormal,
    )


def _account_for(route: PaymentRoute, customer_id: int) -> str:
    return {
        "alipay": f"alipay-{customer_id:06d}",
        "wechat": f"wx-{customer_id:06d}",
        "bank_card": f"6222****{customer_id % 10000:04d}",
        "offline": "",
    }[route]


def random_order(
    rng: random.Random, customer_id: int, products: list[Product], now: datetime, number: str
) -> Order:
    return Order(
        **random_order_values(
            rng, customer_id, [(p.id, p.name_zh, p.category, p.price_fen) for p in products], now, number
        )
    )


def random_order_values(
    rng: random.Random, customer_id: int, products: list[tuple], now: datetime, number: str
) -> dict:
    """A plausible, settled order: delivered and used or unused; most are old."""
    product_id, title, category, price = rng.choice(products)
    paid_at = now - timedelta(minutes=rng.randint(60 * 24 * 2, 60 * 24 * 400))
    route = rng.choice(list(PaymentRoute))
    if category == Category.PHONE_TOPUP:
        fulfilment, usage = Fulfilment.CREDITED, Usage.USED
    else:
        fulfilment = rng.choice([Fulfilment.COMPLETED, Fulfilment.SHIPPED, Fulfilment.CREDITED])
        usage = rng.choice([Usage.UNUSED, Usage.USED, Usage.USED, Usage.ACTIVATED])
    quantity = rng.choice([1, 1, 1, 2])
    return {
        "number": number,
        "customer_id": customer_id,
        "product_id": product_id,
        "product_title": title,
        "category": category,
        "quantity": quantity,
        "amount_fen": price * quantity,
        "refunded_fen": 0,
        "payment_route": route,
        "payment_account": _account_for(route, customer_id),
        "paid_at": paid_at,
        "fulfilment": fulfilment,
        "usage": usage,
        "used_permille": 1000 if usage == Usage.USED else 0,
        "activated_at": paid_at + timedelta(hours=1) if usage in (Usage.ACTIVATED, Usage.USED) else None,
        "last_used_at": None,
        "trial_ends_at": None,
        "recipient": "",
        "delivery_status": DeliveryStatus.DELIVERED,
        "delivery_note": "",
        "delivery_at": paid_at + timedelta(minutes=1),
        "abnormal": False,
        "created_at": paid_at,
    }


def bulk_orders(count: int, now: datetime | None = None, per_customer: int = 25, chunk: int = 5000) -> int:
    """Add `count` more orders spread over new customers, with bulk inserts (for benchmarks)."""
    now = now or utcnow()
    rng = random.Random(count)
    products = [(p.id, p.name_zh, p.category, p.price_fen) for p in db.session.scalars(select(Product))]
    first_customer = (db.session.scalar(select(func.max(Customer.id))) or 0) + 1
    customers = [
        {
            "phone": f"+86170{first_customer + i:08d}",
            "name": "",
            "locale": "zh_CN",
            "has_app": False,
            "sms_opt_in": True,
            "sms_with_app": False,
            "created_at": now,
        }
        for i in range((count + per_customer - 1) // per_customer)
    ]
    for start in range(0, len(customers), chunk):
        db.session.execute(insert(Customer), customers[start : start + chunk])
    customer_ids = db.session.scalars(
        select(Customer.id).where(Customer.phone.in_([c["phone"] for c in customers[:1]]))
    ).all()
    first_id = customer_ids[0]
    numbers = NumberSequence(
        now, start=(db.session.scalar(select(func.count()).select_from(Order)) or 0) + 1_000_000
    )
    rows = []
    for i in range(count):
        rows.append(random_order_values(rng, first_id + i // per_customer, products, now, numbers.next()))
        if len(rows) == chunk:
            db.session.execute(insert(Order), rows)
            db.session.commit()
            rows = []
    if rows:
        db.session.execute(insert(Order), rows)
    db.session.commit()
    return count
