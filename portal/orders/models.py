"""Catalogue and orders."""

from datetime import datetime
from functools import cache

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from portal.clock import utcnow
from portal.dbtypes import enum_column
from portal.extensions import db
from portal.orders.kinds import Category, DeliveryStatus, Fulfilment, PaymentRoute, Usage


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    price_fen: Mapped[int]
    trial_days: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_paid", "customer_id", "paid_at"),
        Index("ix_orders_customer_number", "customer_id", "number"),
        # Substring search on product titles (Chinese included) on PostgreSQL; needs the pg_trgm extension.
        Index(
            "ix_orders_product_title_trgm",
            "product_title",
            postgresql_using="gin",
            postgresql_ops={"product_title": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # The ledger's last line of defence: the money gone back never exceeds what was paid.
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refunded_within_paid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    # The title as sold, kept on the order so that a renamed product does not rewrite history.
    product_title: Mapped[str] = mapped_column(String(200))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    quantity: Mapped[int] = mapped_column(default=1)
    amount_fen: Mapped[int]
    refunded_fen: Mapped[int] = mapped_column(default=0)
    payment_route: Mapped[PaymentRoute] = mapped_column(enum_column(PaymentRoute))
    payment_account: Mapped[str] = mapped_column(String(64), default="")
    paid_at: Mapped[datetime]
    fulfilment: Mapped[Fulfilment] = mapped_column(enum_column(Fulfilment))
    usage: Mapped[Usage] = mapped_column(enum_column(Usage))
    used_permille: Mapped[int] = mapped_column(default=0)
    activated_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    trial_ends_at: Mapped[datetime | None]
    recipient: Mapped[str] = mapped_column(String(64), default="")
    delivery_status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus))
    delivery_note: Mapped[str] = mapped_column(String(200), default="")
    delivery_at: Mapped[datetime | None]
    abnormal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()
    customer = relationship("Customer", back_populates="orders")

    @property
    def refundable_fen(self) -> int:
        return max(self.amount_fen - self.refunded_fen, 0)


@cache
def _customer_order():
    """Asked by every order and wizard page: the statement is built once, on first use (the loader option
    needs every model mapped, which is not yet so while the models are imported). Both pages read the product
    (its trial days are a fact the rules look at): it comes in the same query."""
    return (
        select(Order)
        .options(joinedload(Order.product, innerjoin=True))
        .where(Order.id == bindparam("order_id"), Order.customer_id == bindparam("customer_id"))
    )


def get_customer_order(customer_id: int, order_id: int) -> Order | None:
    """The order (and its product) if it belongs to the customer; None otherwise (the caller answers 404)."""
    return db.session.scalar(_customer_order(), {"order_id": order_id, "customer_id": customer_id})
