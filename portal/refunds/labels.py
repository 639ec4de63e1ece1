"""What the refund wizard and the delivery news say (English msgids)."""

from flask_babel.speaklater import LazyString

from portal.i18n import lazy_gettext as _l
from portal.money import format_fen
from portal.policy.labels import AMOUNT_ERRORS, REASON_MESSAGES

# What cases.services.submit_case can refuse with, beyond the engine's reason and amount codes.
_SUBMIT_ERRORS: dict[str, LazyString] = {
    "no_such_order": _l("This order was not found."),
    "evidence_missing": _l("Please upload the evidence marked as required before submitting."),
    "not_eligible": AMOUNT_ERRORS["not_eligible"],
}

WIZARD_ERRORS: dict[str, LazyString] = {
    "choose_type": _l("Please choose a refund type."),
    "type_first": _l("Please choose a refund type first."),
    "details_first": _l("Please describe the problem and confirm the amount first."),
    "bad_amount": _l("Enter the amount in yuan, for example 12.50."),
    "bad_item": _l("This checklist item does not exist. Please reload the page."),
    "no_file": _l("Please choose a file to upload."),
    "case_not_accepting": _l("This refund request is not waiting for evidence."),
    "stale_form": _l("This form is out of date. Please review your request and submit it again."),
    "upload_failed": _l("The upload did not finish. Please check your connection and try again."),
}

# What the customer reads when a delivery failed and the refund is theirs to ask for (refunds.delivery; the
# SMS template is in notifications.labels).
DELIVERY_FAILED_TITLE = _l("Delivery failed")
DELIVERY_FAILED_BODY = _l(
    "Order %(number)s could not be delivered. You can ask for a full refund on the order's page."
)


def amount_error_message(code: str, max_fen: int) -> str:
    """An amount error in the customer's language, naming the most that may be asked for now."""
    message = AMOUNT_ERRORS.get(code) or WIZARD_ERRORS["bad_amount"]
    return str(message) % {"max": format_fen(max_fen)}


def case_error_message(code: str, max_fen: int | None = None) -> str:
    """The customer-facing message for a CaseError code (a generic one for codes we do not know)."""
    if code in AMOUNT_ERRORS and max_fen is not None:
        return amount_error_message(code, max_fen)
    message = (
        _SUBMIT_ERRORS.get(code)
        or AMOUNT_ERRORS.get(code)
        or REASON_MESSAGES.get(code)
        or _l("Your refund request could not be submitted. Please try again.")
    )
    return str(message)
