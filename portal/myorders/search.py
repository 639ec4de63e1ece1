"""Finding a customer's orders: by number, product name, date range and status, newest first."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import joinedload

from portal.cases.models import RefundCase
from portal.extensions import db
from portal.orders.models import Order, Product

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUS_FILTERS = ("completed", "shipped", "credited", "refunded", "abnormal")
# The tabs of 我的订单 a query can select in SQL; "refundable" needs the refund rules (see verdicts).
TABS = ("refundable", "in_progress", "refunded")


@dataclass(frozen=True)
class OrderQuery:
    text: str = ""  # an order number (exact or prefix) or part of the product name
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    tab: str = ""  # one of TABS, or "" for every order
    page: int = 1


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    page: int
    pages: int
    total: int


def _shanghai_day_start_utc(day: date) -> datetime:
    local = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def as_order_number_prefix(text: str) -> str | None:
    """'ZS2026…' or just its digits → the number prefix to look for; None for product-name text."""
    upper = text.upper()
    if upper.startswith("ZS") and upper[2:].isdigit():
        return upper
    if upper.isdigit() and len(upper) >= 4:
        return "ZS" + upper
    return None


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _name_condition(text: str):
    """Part of the title as sold (Chinese) or of the product's English name (products: a small table)."""
    pattern = _like_pattern(text)
    by_english_name = select(Product.id).where(Product.name_en.ilike(pattern, escape="\\"))
    product_ids = db.session.scalars(by_english_name).all()
    title = Order.product_title.ilike(pattern, escape="\\")
    return or_(title, Order.product_id.in_(product_ids)) if product_ids else title


def _status_condition(status: str):
    """The same precedence as labels.order_status: refunded, then abnormal, then the fulfilment."""
    not_refunded = Order.refunded_fen == 0
    if status == "refunded":
        return Order.refunded_fen > 0
    if status == "abnormal":
        return Order.abnormal.is_(True) & not_refunded
    if status in STATUS_FILTERS:
        return (Order.fulfilment == status) & Order.abnormal.is_(False) & not_refunded
    return None


def _filtered(customer_id: int, query: OrderQuery) -> Select:
    stmt = select(Order).where(Order.customer_id == customer_id)
    text = query.text.strip()
    if text:
        if prefix := as_order_number_prefix(text):
            stmt = stmt.where(Order.number.startswith(prefix, autoescape=True))
        else:
            stmt = stmt.where(_name_condition(text))
    if query.date_from:
        stmt = stmt.where(Order.paid_at >= _shanghai_day_start_utc(query.date_from))
    if query.date_to:
        stmt = stmt.where(Order.paid_at < _shanghai_day_start_utc(query.date_to + timedelta(days=1)))
    if query.status:
        condition = _status_condition(query.status)
        stmt = stmt.where(condition if condition is not None else false())
    if query.tab == "refunded":
        stmt = stmt.where(Order.refunded_fen > 0)
    elif query.tab == "in_progress":
        stmt = stmt.where(Order.id.in_(select(RefundCase.order_id).where(RefundCase.is_open.is_(True))))
    elif query.tab == "refundable":  # the rules decide; at least nothing fully refunded or with an open case
        stmt = stmt.where(
            Order.refunded_fen < Order.amount_fen,
            Order.id.not_in(select(RefundCase.order_id).where(RefundCase.is_open.is_(True))),
        )
    return stmt


Keep = Callable[[list[Order]], list[Order]]


def search_orders(customer_id: int, query: OrderQuery, per_page: int, keep: Keep | None = None) -> OrderPage:
    """One page of the customer's matching orders, newest first. `keep` is a filter only Python can apply (the
    refund rules): it sees every match, and the page is cut from what it keeps."""
    stmt = _filtered(customer_id, query)
    if keep is not None:
        newest_first = stmt.order_by(Order.paid_at.desc(), Order.id.desc())
        kept = keep(list(db.session.scalars(newest_first.options(joinedload(Order.product, innerjoin=True)))))
        pages = max((len(kept) + per_page - 1) // per_page, 1)
        page = min(max(query.page, 1), pages)
        return OrderPage(kept[(page - 1) * per_page : page * per_page], page, pages, len(kept))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(query.page, 1), pages)
    # The list shows the product's English name too (and the rules read its trial days): joined, not one
    # query per order.
    page_stmt = (
        stmt.order_by(Order.paid_at.desc(), Order.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    orders = db.session.scalars(page_stmt.options(joinedload(Order.product, innerjoin=True))).all()
    return OrderPage(list(orders), page, pages, total)
