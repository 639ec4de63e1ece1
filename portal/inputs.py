"""Rules every request input meets before it reaches the database (one home for them).

- No control characters (NUL and the other C0 characters except tab and line breaks, and DEL) in any query
  parameter or form field: PostgreSQL refuses NUL in text, and nobody types the others. Refused with a
  clear 400 page.
- Ids in addresses fit the database's integer (a larger one is simply not found).
- Dates typed by people lie in a sane range (DATE_MIN..DATE_MAX), so date arithmetic cannot overflow.
"""

import re
from datetime import date

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from portal.i18n import lazy_gettext as _l

MAX_ID = 2**31 - 1  # PostgreSQL's integer
# Platform choice: orders and searches are about this century.
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_IN_NAMES = re.compile(r"[\x00-\x1f\x7f]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

CONTROL_REFUSED = _l(
    "What you entered contains characters that cannot be used (control characters). "
    "Please remove them and try again."
)
DATE_OUT_OF_RANGE = _l("Please enter a date between %(first)s and %(last)s.")


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: no larger than the database's integer, so a huge id is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def has_control_characters(text: str) -> bool:
    return bool(CONTROL.search(text))


def in_date_range(day: date) -> bool:
    return DATE_MIN <= day <= DATE_MAX


def request_has_control_characters() -> bool:
    """Whether any query parameter or form field (name or value) holds a control character."""
    fields = list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        if request.mimetype == FORM_TYPES[0]:
            request.get_data(cache=True)  # a view may still read the raw body (signed notifications)
        fields += request.form.items(multi=True)
    return any(CONTROL_IN_NAMES.search(name) or CONTROL.search(value) for name, value in fields)


def init_app(app: Flask, refuse) -> None:
    """Install the id converter (before any route is added) and the control-character check.

    `refuse(message)` answers the request (the error pages' renderer).
    """
    app.url_map.converters["int"] = IdConverter

    @app.before_request
    def refuse_control_characters():
        if request_has_control_characters():
            return refuse(CONTROL_REFUSED)
        return None
