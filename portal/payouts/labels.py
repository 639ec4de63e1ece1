"""What payouts are called on pages (English msgids; zh_CN in the catalogue)."""

from portal.i18n import lazy_gettext as _l
from portal.payouts.receiving import AccountKind
from portal.payouts.states import PayoutState, SuccessSource

STATE = {
    PayoutState.PENDING: _l("Pending"),
    PayoutState.SUBMITTED: _l("Submitted to the gateway"),
    PayoutState.SUCCEEDED: _l("Succeeded"),
    PayoutState.FAILED: _l("Failed, retry scheduled"),
    PayoutState.RETRIED: _l("Being retried"),
    PayoutState.MANUAL: _l("Manual payout"),
}

SOURCE = {
    SuccessSource.QUERY: _l("confirmed by the gateway's query API"),
    SuccessSource.NOTIFY: _l("confirmed by the gateway's signed notification"),
    SuccessSource.MANUAL: _l("paid by hand by staff"),
}

ACCOUNT_KIND = {
    AccountKind.ALIPAY: _l("Alipay account"),
    AccountKind.BANK_CARD: _l("Bank card"),
}

# Customer-facing status lines.
CUSTOMER_STATUS = {
    "awaiting_account": _l("Tell us where to send your refund"),
    "staff_transfer": _l("Our staff are transferring your refund"),
    "executing": _l("Refund executing"),
    "refunded": _l("Refunded"),
}

ERRORS = {
    "not_found": _l("There is no such refund."),
    "account_locked": _l("The refund has already been paid; the receiving account can no longer change."),
    "already_paid": _l("This refund has already been paid."),
    "not_manual": _l("This payout is not waiting for a manual payment."),
    "account_missing": _l("The customer has not given a receiving account yet."),
    "gateway_paid": _l("The gateway reports that this refund was paid: do not pay it by hand."),
    "gateway_unsure": _l(
        "The gateway has not confirmed that this refund failed. Paying by hand now could pay twice; "
        "query again later."
    ),
    "reference_used": _l("This transfer reference is already recorded for another payout."),
    "not_refunded": _l("The refund has not been paid yet."),
    "already_confirmed": _l("You have already confirmed receipt."),
    "nothing_to_resolve": _l("There is no open report for this payout."),
    "exceeds_refundable": _l("The refund would exceed what the order can still refund."),
    "nothing_to_pay": _l("There is nothing to pay."),
    "storage_failed": _l("The proof could not be saved, so nothing was recorded. Please try again."),
}

EVENTS = {
    "payout_failed": _l("Payout failed; retry scheduled"),
    "payout_succeeded": _l("Gateway confirmed the payout"),
    "receiving_account": _l("Receiving account given"),
    "receiving_account_changed": _l("Receiving account changed"),
    "refund_received": _l("Customer confirmed receipt"),
    "refund_not_arrived": _l("Customer reported the money did not arrive"),
    "refund_arrival_resolved": _l("Staff answered the arrival report"),
}


def error_message(code: str) -> str:
    """The message for a PayoutError code."""
    return str(ERRORS.get(code, code))


# Why a receiving account was refused (payouts.receiving.AccountError codes).
ACCOUNT_ERRORS = {
    "holder_required": _l("Enter the account holder's name."),
    "holder_too_long": _l("The name is too long."),
    "bank_required": _l("Enter the bank's name."),
    "card_format": _l("A bank card number has 12 to 19 digits."),
    "card_checksum": _l("This card number is not valid. Please check each digit."),
    "alipay_format": _l("Enter the mobile number or e-mail address of the Alipay account."),
    "kind_unknown": _l("Choose how you want to receive the money."),
}


def account_error(code: str) -> str:
    """The message for an AccountError code."""
    return str(ACCOUNT_ERRORS.get(code, code))
