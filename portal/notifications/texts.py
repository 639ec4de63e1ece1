"""What each event says, by SMS and in the inbox, in the customer's language (an SMS fits 70 characters)."""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

SMS_TEMPLATES = {
    "sign_in_code": _l("Your sign-in code is %(code)s, valid for 10 minutes. Never share it with anyone."),
}

# Case event → (inbox title, body); the SMS says the body. Bodies fit one SMS (≤ 70 Chinese characters).
EVENT_TEXTS = {
    "submitted": (
        _l("Refund request received"),
        _l("We received your refund request %(number)s and will review it by %(due)s."),
    ),
    "evidence_received": (
        _l("Evidence received"),
        _l("The evidence for refund %(number)s has been received and is waiting for review."),
    ),
}


def render_sms(template: str, params: dict, locale: str, sign_name: str) -> str:
    """The SMS text for the template, in the given language, with the sender's signature."""
    if template.startswith("case:"):
        text = EVENT_TEXTS[template.removeprefix("case:")][1]
    else:
        text = SMS_TEMPLATES[template]
    with force_locale(locale):
        body = str(text) % params
    return f"【{sign_name}】{body}"
