"""What customer-service pages call things, and what a refused message says (English msgids)."""

from portal.i18n import lazy_gettext as _l

ERRORS = {
    "empty": _l("Please write a message or add a photo."),
    "too_long": _l("Please keep a message to %(limit)s characters (this one has %(length)s)."),
    "not_a_photo": _l("Only photos can be sent here (JPEG, PNG, WebP or HEIC)."),
    "not_found": _l("We could not find that order or refund request among yours."),
    "bad_assignee": _l("That staff member cannot answer conversations."),
    "photo_again": _l("Your text is kept; please choose the photo again."),
    "too_many": _l(
        "You have sent many messages in a short time. Your text is kept; please send it again in "
        "%(minutes)s minutes."
    ),
    "green_reason": _l("Please tell us in %(min)s to %(max)s characters why this is urgent."),
    "green_not_open": _l("Priority can no longer be asked for on this request."),
    "green_decided": _l("This request for priority was already answered."),
    "complaint_category": _l("Please choose what your complaint is about."),
    "complaint_short": _l("Please describe your complaint in at least %(min)s characters."),
    "complaint_needs_case": _l("Please choose the refund request your complaint is about."),
    "complaint_answer": _l("Closing a complaint needs an answer of at least %(min)s characters."),
    "complaint_closed": _l("This complaint was already closed."),
}

COMPLAINT_CATEGORIES = {
    "case": _l("A refund request"),
    "decision": _l("A decision"),
    "service": _l("The service"),
    "staff": _l("A staff member"),
}

# Why a case is in the green channel, as 退款进度 says it.
GREEN_WHY = {
    "high_value": _l("Orders of %(amount)s or more go in the green channel automatically."),
    "granted": _l("You asked for priority and a senior reviewer granted it."),
    "staff": _l("Customer service gave this request priority."),
}

# 站内信 for complaints and green-channel answers (inbox only: they are not urgent enough for an SMS).
INBOX = {
    "complaint_received": (
        _l("Complaint received"),
        _l("Complaint %(number)s received; we will answer by %(due)s."),
    ),
    "complaint_answered": (_l("Complaint answered"), _l("Complaint %(number)s: %(answer)s")),
    "green_channel_granted": (
        _l("Priority granted"),
        _l("Refund request %(number)s is now in the green channel; review is due by %(due)s."),
    ),
    "green_channel_declined": (
        _l("Priority declined"),
        _l("Priority for refund request %(number)s was declined: %(answer)s"),
    ),
}

AGE_LABELS = {
    "under_4h": _l("Under 4 hours old"),
    "under_24h": _l("4 to 24 hours old"),
    "over_24h": _l("Over 24 hours old (late)"),
}


def error_message(code: str, params: dict | None = None) -> str:
    """A SupportError's message in the current language."""
    return str(ERRORS[code]) % (params or {})
