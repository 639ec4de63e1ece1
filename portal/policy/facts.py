"""From an order row to the policy engine's OrderFacts."""

from portal.orders.models import Order
from portal.policy.engine import OrderFacts
from portal.policy.kinds import RefundType


def order_facts(
    order: Order, has_open_case: bool, finally_decided: frozenset[RefundType] = frozenset()
) -> OrderFacts:
    """The facts the rules look at, read off the order (and what its cases say: open, decided for good)."""
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
        finally_decided=finally_decided,
        product_trial_days=order.product.trial_days or None if order.product else None,
    )
