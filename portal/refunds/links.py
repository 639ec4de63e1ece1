"""Where 申请退款 leads for an order: the wizard's step an unfinished request was left at."""

from flask import url_for


def wizard_url(order_id: int, draft) -> str:
    """Where 申请退款 leads: the step an unfinished request was left at (a RefundDraft or None)."""
    if draft is None or draft.refund_type is None:
        return url_for("refunds.choose_type", order_id=order_id)
    if not (draft.reason_text and draft.amount_fen):
        return url_for("refunds.reason", order_id=order_id)
    return url_for("refunds.evidence", order_id=order_id)
