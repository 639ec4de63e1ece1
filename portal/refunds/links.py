"""Where a customer goes to see a case: the lifecycle feature's progress page."""

from flask import url_for


def case_page_url(case_id: int) -> str:
    """URL of the case's progress page (退款进度)."""
    return url_for("cases.progress", case_id=case_id)


def wizard_url(order_id: int, draft) -> str:
    """Where 申请退款 leads: the step an unfinished request was left at (a RefundDraft or None)."""
    if draft is None or draft.refund_type is None:
        return url_for("refunds.choose_type", order_id=order_id)
    if not (draft.reason_text and draft.amount_fen):
        return url_for("refunds.reason", order_id=order_id)
    return url_for("refunds.evidence", order_id=order_id)
