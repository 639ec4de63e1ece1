"""What the case core calls things, in the customer's and the reviewer's words (English msgids).

Decision reasons (chosen by reviewers, or set by the system) and risk flags are the case's own
vocabulary; the core stores their codes and the pages translate them here, at the edge.
"""

from flask_babel import lazy_gettext as _l

# Reasons a reviewer may give for a rejection; the customer sees the label and the reviewer's text.
REJECT_REASONS = {
    "evidence_insufficient": _l("The evidence does not show the problem"),
    "evidence_not_authentic": _l("The evidence could not be verified as authentic"),
    "item_used": _l("The platform's records show the item was used"),
    "customer_responsibility": _l("The loss was caused by details the customer entered"),
    "outside_policy": _l("The request is outside the refund policy"),
    "duplicate_request": _l("The same problem was already refunded in another request"),
    "other": _l("Other reason (explained below)"),
}
# Set by the system, never chosen from the list.
SYSTEM_REASONS = {
    "arbitration_outcome": _l("The third-party arbitrator ruled against the refund"),
    "platform_record": _l("Approved automatically: the platform's own records show the failure"),
}


def reason_label(code: str | None) -> str:
    """The label of a rejection or decision reason code ('' for none)."""
    if not code:
        return ""
    label = REJECT_REASONS.get(code) or SYSTEM_REASONS.get(code)
    return str(label) if label is not None else code


# Why a risk flag was raised (cases.risk stores the code and its parameters).
FLAG_MESSAGES = {
    "quick_refunds": _l(
        "Buy-then-refund pattern: %(count)s refund requests within %(hours)s hours of purchase "
        "in the last %(days)s days."
    ),
    "many_refunds_phone": _l("%(count)s refund requests from phone %(phone)s in the last %(days)s days."),
    "many_refunds_account": _l(
        "%(count)s refund requests paid from payment account %(account)s (%(customers)s customers) "
        "in the last %(days)s days."
    ),
    "many_refunds_recipient": _l(
        "%(count)s refund requests for top-ups to %(recipient)s in the last %(days)s days."
    ),
    "duplicate_evidence": _l("The same evidence file was also submitted with case %(cases)s."),
}


def flag_message(flag: dict) -> str:
    """The translated sentence explaining a stored flag."""
    text = FLAG_MESSAGES.get(flag.get("code", ""))
    if text is None:
        return str(flag.get("code", ""))
    try:
        return str(text) % flag.get("params", {})
    except (KeyError, TypeError, ValueError):
        return str(flag.get("code"))
