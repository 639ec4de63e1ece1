"""Forms of the refund wizard; the rules behind them (eligibility, ceilings) live in the policy engine."""

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.i18n import lazy_gettext as _l
from portal.money import yuan_to_fen

REASON_MAX = 500
AMOUNT_PATTERN = r"^\s*(¥|￥)?\s*\d{1,9}(\.\d{1,2})?\s*$"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class TypeForm(FlaskForm):
    """Step 1: the refund type (radio buttons drawn by the template from the offered types)."""

    refund_type = StringField(validators=[DataRequired(message=_l("Please choose a refund type."))])


class DetailsForm(FlaskForm):
    """Step 2: what went wrong, and how much (editable downwards only)."""

    reason = TextAreaField(
        _l("What went wrong?"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please describe the problem.")),
            # WTForms fills in %(max)d and %(length)d.
            Length(max=REASON_MAX, message=_l("Please keep it to %(max)d characters (now %(length)d).")),
        ],
        render_kw={"maxlength": REASON_MAX, "rows": 5},
    )
    amount = StringField(
        _l("Refund amount (yuan)"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter the amount.")),
            Regexp(AMOUNT_PATTERN, message=_l("Enter the amount in yuan, for example 12.50.")),
        ],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )

    def __init__(self, *args, reason_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_required = reason_required
        if not reason_required:
            # 无理由: the customer may leave the reason empty; a reason given still keeps to the length.
            self.reason.validators = [Optional(), *self.reason.validators[1:]]
            self.reason.flags.required = False

    def amount_fen(self) -> int | None:
        """The amount in fen, or None when it is not a valid yuan figure."""
        text = (self.amount.data or "").replace("¥", "").replace("￥", "").strip()
        try:
            return yuan_to_fen(Decimal(text))
        except (InvalidOperation, ValueError):
            return None


class SubmitForm(FlaskForm):
    """Step 4: the idempotency key that makes a double tap open one case."""

    idempotency_key = HiddenField(
        validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")],
    )


def fen_to_yuan_text(fen: int | None) -> str:
    """1230 → "12.30", for prefilling the amount field."""
    if fen is None:
        return ""
    return f"{fen // 100}.{fen % 100:02d}"
