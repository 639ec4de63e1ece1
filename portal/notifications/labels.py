"""What notification failures are called on the staff pages (English msgids; zh_CN in the catalogue)."""

from flask_babel import lazy_gettext as _l

# Why a failed outbox row failed, and what staff (or an operator) should do.
FAILURE = {
    "retries_spent": _l(
        "Retries spent: the provider did not answer or kept refusing. Retry when it is back."
    ),
    "give_up": _l(
        "Given up: the provider cannot deliver to this number (invalid, blocked or over its daily limit)."
    ),
    "fix_settings": _l(
        "Fix the SMS settings: the provider refused our account, keys, signature or template."
    ),
}
