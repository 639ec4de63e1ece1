"""What the refund rules allow for each order now (我的订单's badges): the policy applied to each order, with
one query for open cases and one for final decisions."""

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, select

from portal.cases.models import RefundCase
from portal.cases.services import finally_decided_types
from portal.extensions import db
from portal.orders.models import Order
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.rules import RuleSet

# 我的订单 asks it on every visit: the statement is built once.
_OPEN_CASES = select(RefundCase.order_id, RefundCase.id).where(
    RefundCase.order_id.in_(bindparam("order_ids", expanding=True)), RefundCase.is_open.is_(True)
)


def open_cases_by_order(order_ids: Sequence[int]) -> dict[int, int]:
    """order id → id of its open case, for the given orders, in one query."""
    if not order_ids:
        return {}
    rows = db.session.execute(_OPEN_CASES, {"order_ids": list(order_ids)})
    return {order_id: case_id for order_id, case_id in rows}


def refundable_only(rules: RuleSet, now: datetime) -> Callable[[list[Order]], list[Order]]:
    """A filter for 我的订单's 可退款 tab: the orders whose badge reads 'refundable up to ¥X'."""

    def keep(orders: list[Order]) -> list[Order]:
        verdicts = verdicts_for(orders, rules, now)
        return [order for order in orders if verdicts[order.id].state == "refundable"]

    return keep


def verdicts_for(orders: Sequence[Order], rules: RuleSet, now: datetime) -> dict[int, engine.OrderVerdict]:
    """order id → its refund badge (refundable up to ¥X / why not / in progress / refunded)."""
    ids = [o.id for o in orders]
    open_cases, final = open_cases_by_order(ids), finally_decided_types(ids)
    return {
        order.id: engine.verdict(
            order_facts(order, order.id in open_cases, final.get(order.id, frozenset())), rules, now
        )
        for order in orders
    }
