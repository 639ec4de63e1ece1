"""Translatable texts of the policy engine: reason messages and labels (English msgids)."""

from flask_babel.speaklater import LazyString

from portal.i18n import lazy_gettext as _l
from portal.policy.kinds import AmountMethod, RefundType

# One message per reason code the engine can return; the customer sees it next to the order.
REASON_MESSAGES: dict[str, LazyString] = {
    "ok": _l("A refund can be requested."),
    "type_not_offered": _l("This refund type is not available for this product."),
    "no_refund_types": _l("Refunds are not available for this product."),
    "fully_refunded": _l("This order has already been fully refunded."),
    "case_open": _l("A refund request for this order is already in progress."),
    "topup_credited": _l("The top-up has been credited to your account, so it can no longer be refunded."),
    "already_used": _l("Only unused orders or orders in an abnormal state can be refunded."),
    "software_activated": _l(
        "The software has been activated or used, so the contract cannot be terminated for non-activation."
    ),
    "software_too_recent": _l(
        "Contract termination is possible once the software has gone unactivated and unused for 7 days."
    ),
    "no_trial": _l("This product has no trial period."),
    "trial_over": _l("The trial period has ended."),
    "nothing_to_refund": _l("Nothing is left to refund for this order."),
    "functional_defect": _l("A used item can be refunded only if it has a functional defect."),
    "finally_decided": _l(
        "A final decision was made on this request (third-party arbitration or an answered appeal), "
        "so it cannot be made again for this order."
    ),
    "fulfilment_pending": _l(
        "The top-up is still being processed. You can ask for a refund once its result is confirmed."
    ),
}

REFUND_TYPE_LABELS: dict[RefundType, LazyString] = {
    RefundType.NOT_RECEIVED: _l("Item not received"),
    RefundType.INVALID: _l("Item invalid"),
    RefundType.NOT_AS_DESCRIBED: _l("Not as described"),
    RefundType.CUSTOMER_ERROR: _l("My own mistake"),
    RefundType.SOFTWARE_UNACTIVATED: _l("Not activated for over 7 days"),
    RefundType.TRIAL_NO_REASON: _l("No-reason refund during trial"),
}

AMOUNT_METHOD_LABELS: dict[AmountMethod, LazyString] = {
    AmountMethod.FULL: _l("Full refund"),
    AmountMethod.PRO_RATA: _l("Refund of the unused share"),
    AmountMethod.PERCENT: _l("Fixed share refund"),
    AmountMethod.STAFF_DECIDES: _l("Partial refund, amount set by our staff"),
    AmountMethod.NONE: _l("No refund"),
}

EVIDENCE_KIND_LABELS: dict[str, LazyString] = {
    "image": _l("Photo or screenshot"),
    "pdf": _l("PDF document"),
}

AMOUNT_ERRORS: dict[str, LazyString] = {
    "not_eligible": _l("This order cannot be refunded with this refund type."),
    "amount_not_positive": _l("Enter an amount greater than zero."),
    # %(max)s: the most that may be asked for now (what the order can still give back under this rule).
    "amount_over_cap": _l("The amount cannot exceed %(max)s: that is what this order can still give back."),
    "amount_over_suggested": _l("The amount cannot exceed %(max)s: that is what this refund type gives now."),
}


def reason_message(code: str) -> LazyString:
    """The customer-facing message for a reason code (falls back to a generic text)."""
    return REASON_MESSAGES.get(code, REASON_MESSAGES["type_not_offered"])
