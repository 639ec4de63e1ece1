"""What each event says, by SMS and in the inbox, in the customer's language (an SMS fits 70 characters)."""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

SMS_TEMPLATES = {
    "sign_in_code": _l("Your sign-in code is %(code)s, valid for 10 minutes. Never share it with anyone."),
}

# event → (inbox title, inbox body, SMS text); later issues add the case events here.
EVENT_TEXTS: dict[str, tuple] = {}


def render_sms(template: str, params: dict, locale: str, sign_name: str) -> str:
    """The SMS text for the template, in the given language, with the sender's signature."""
    with force_locale(locale):
        body = str(SMS_TEMPLATES[template]) % params
    return f"【{sign_name}】{body}"
