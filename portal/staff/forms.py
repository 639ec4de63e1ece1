"""Decision forms. Each carries the case version it was rendered with (the optimistic lock) and a
`confirmed` flag: the first submission shows a confirmation, the second one decides."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.cases.labels import REJECT_REASONS
from portal.i18n import lazy_gettext as _l
from portal.money import yuan_to_fen

NOTE_MAX = 500


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (usable with a thumb, readable without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VersionedForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        """True on the second submission, after the reviewer saw the confirmation."""
        return self.confirmed.data == "1"


def _parse_amount(text: str | None) -> int:
    """Yuan as typed ("12", "12.5", "¥12.50") to fen; raises ValidationError."""
    cleaned = (text or "").strip().replace("¥", "").replace("￥", "").replace(",", "")
    try:
        fen = yuan_to_fen(Decimal(cleaned))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_l("Enter an amount in yuan, such as 12.50.")) from exc
    if fen <= 0:
        raise ValidationError(_l("Enter an amount greater than zero."))
    return fen


class AmountMixin:
    """Full or partial, and the partial amount in yuan."""

    mode = RadioField(
        _l("Amount"),
        choices=[SelectChoice("full", _l("In full")), SelectChoice("partial", _l("Partially"))],
        default="full",
    )
    amount = StringField(
        _l("Partial amount (yuan)"),
        validators=[Length(max=14)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )

    def validate_amount(self, field) -> None:
        if self.mode.data == "partial":
            self.amount_fen = _parse_amount(field.data)

    @property
    def chosen_fen(self) -> int | None:
        """The partial amount in fen, or None for in full."""
        return getattr(self, "amount_fen", None) if self.mode.data == "partial" else None


class ClaimForm(VersionedForm):
    pass


class GreenChannelForm(VersionedForm):
    pass


class AssignForm(VersionedForm):
    assignee = SelectField(
        _l("Assign to"),
        coerce=int,
        validators=[InputRequired()],
        render_kw={"required": False},  # a select always has a value; HTML wants a placeholder for "required"
    )


class ApproveForm(AmountMixin, VersionedForm):
    note = TextAreaField(_l("Message to the customer (optional)"), validators=[Length(max=NOTE_MAX)])


class RejectForm(VersionedForm):
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice("", _l("Choose a reason"))]
        + [SelectChoice(k, v) for k, v in REJECT_REASONS.items()],
        validators=[DataRequired(_l("Choose a reason from the list."))],
    )
    note = TextAreaField(
        _l("Explanation the customer reads"),
        validators=[DataRequired(_l("Explain the decision to the customer.")), Length(max=NOTE_MAX)],
    )


class EvidenceRequestForm(VersionedForm):
    items = MultiCheckboxField(
        _l("What is missing"), validators=[DataRequired(_l("Choose at least one item from the list."))]
    )
    message = TextAreaField(
        _l("Message to the customer"),
        validators=[DataRequired(_l("Tell the customer what to add.")), Length(max=NOTE_MAX)],
    )


class EscalateForm(VersionedForm):
    note = TextAreaField(
        _l("Why the responsibility is unclear"),
        validators=[DataRequired(_l("Give the reason for arbitration.")), Length(max=NOTE_MAX)],
    )


class ArbitrationOutcomeForm(AmountMixin, VersionedForm):
    outcome = RadioField(
        _l("The arbitrator decided"),
        choices=[SelectChoice("approve", _l("Refund")), SelectChoice("reject", _l("No refund"))],
        validators=[InputRequired(_l("Choose the arbitrator's outcome."))],
    )
    reference = StringField(
        _l("Arbitration reference"),
        validators=[DataRequired(_l("Enter the arbitrator's reference.")), Length(max=64)],
    )
    note = TextAreaField(
        _l("Explanation the customer reads"),
        validators=[DataRequired(_l("Explain the outcome to the customer.")), Length(max=NOTE_MAX)],
    )

    def validate_amount(self, field) -> None:
        if self.outcome.data == "approve":
            super().validate_amount(field)

    @property
    def chosen_fen(self) -> int | None:
        return super().chosen_fen if self.outcome.data == "approve" else None


class ReturnToReviewForm(VersionedForm):
    note = TextAreaField(
        _l("Why the case needs a new review"),
        validators=[DataRequired(_l("Give the reason.")), Length(max=NOTE_MAX)],
    )


FORMS: dict[str, type[VersionedForm]] = {
    "claim": ClaimForm,
    "assign": AssignForm,
    "green_channel": GreenChannelForm,
    "approve": ApproveForm,
    "reject": RejectForm,
    "request_evidence": EvidenceRequestForm,
    "escalate": EscalateForm,
    "arbitration_outcome": ArbitrationOutcomeForm,
    "return_to_review": ReturnToReviewForm,
}
# Actions that change the outcome for the customer are confirmed first.
CONFIRMED_ACTIONS = frozenset(
    {"approve", "reject", "request_evidence", "escalate", "arbitration_outcome", "return_to_review"}
)
