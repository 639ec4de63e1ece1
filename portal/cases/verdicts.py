"""What the refund rules allow for each order now (我的订单's badges): the policy applied to each order, with
one query for their open cases and final decisions."""

from collections.abc import Callable, Sequence
from datetime import datetime

from portal.cases.services import NO_CASES, cases_of_orders
from portal.orders.models import Order
from portal.policy import engine
from portal.policy.facts import order_facts
from portal.policy.rules import RuleSet


def refundable_only(rules: RuleSet, now: datetime) -> Callable[[list[Order]], list[Order]]:
    """A filter for 我的订单's 可退款 tab: the orders whose badge reads 'refundable up to ¥X'."""

    def keep(orders: list[Order]) -> list[Order]:
        verdicts = verdicts_for(orders, rules, now)
        return [order for order in orders if verdicts[order.id].state == "refundable"]

    return keep


def verdicts_for(orders: Sequence[Order], rules: RuleSet, now: datetime) -> dict[int, engine.OrderVerdict]:
    """order id → its refund badge (refundable up to ¥X / why not / in progress / refunded)."""
    cases = cases_of_orders([o.id for o in orders])
    verdicts = {}
    for order in orders:
        known = cases.get(order.id, NO_CASES)
        facts = order_facts(order, known.open_case_id is not None, known.finally_decided)
        verdicts[order.id] = engine.verdict(facts, rules, now)
    return verdicts
