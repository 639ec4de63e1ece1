"""The demo world with the demo customer signed in, and shortcuts through the refund wizard."""

import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from portal.demo.builder import build
from portal.demo.situations import SITUATIONS
from portal.extensions import db as _db
from portal.orders.models import Order
from tests.helpers import sign_in_customer
from tests.journey.samples import jpeg

OTHER_PHONE = "+8613900139000"  # 李女士, another demo customer


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
        import re

        html = self.get(f"/orders/{order_id}/refund/review?lang=en").get_data(as_text=True)
        return re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', html).group(1)

    def _suggested(self, order_id: int) -> str:
        import re

        html = self.get(f"/orders/{order_id}/refund/reason?lang=en").get_data(as_text=True)
        return re.search(r'name="amount"[^>]*value="([^"]*)"', html).group(1)


@pytest.fixture
def journey(app, db, client) -> Journey:
    """The demo world built, the demo customer (王先生) signed in."""
    build()
    customer_id = sign_in_customer(client, app)
    ids = _db.session.scalars(
        select(Order.id).where(Order.customer_id == customer_id).order_by(Order.id)
    ).all()
    orders = {situation.key: order_id for situation, order_id in zip(SITUATIONS, ids, strict=False)}
    return Journey(client, app, customer_id, orders)


@pytest.fixture
def other_order_id(journey) -> int:
    """An order of another customer."""
    from portal.accounts.models import Customer

    other = _db.session.scalar(select(Customer).where(Customer.phone == OTHER_PHONE))
    return _db.session.scalar(select(Order.id).where(Order.customer_id == other.id).limit(1))
