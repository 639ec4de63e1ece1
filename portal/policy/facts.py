"""From an order row to the policy engine's OrderFacts."""

from portal.orders.models import Order
from portal.policy.engine import OrderFacts


def order_facts(order: Order, has_open_case: bool) -> OrderFacts:
    """The facts the rules look at, read off the order."""
    return OrderFacts(
        category=order.category,
        amount_fen=order.amount_fen,
        refunded_fen=order.refunded_fen,
        paid_at=order.paid_at,
        fulfilment=order.fulfilment,
        usage=order.usage,
        delivery_status=order.delivery_status,
        used_permille=order.used_permille,
        activated_at=order.activated_at,
        last_used_at=order.last_used_at,
        trial_ends_at=order.trial_ends_at,
        abnormal=order.abnormal,
        has_open_case=has_open_case,
    )
