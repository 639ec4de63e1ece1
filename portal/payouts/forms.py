"""Forms: the customer's receiving account, staff's manual transfer, short notes."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.i18n import lazy_gettext as _l
from portal.payouts.receiving import AccountKind

NOTE_MAX = 500


class ReceivingAccountForm(FlaskForm):
    kind = RadioField(
        _l("Receive the refund by"),
        choices=[
            SelectChoice(AccountKind.ALIPAY.value, _l("Alipay account")),
            SelectChoice(AccountKind.BANK_CARD.value, _l("Bank card")),
        ],
        default=AccountKind.ALIPAY.value,
    )
    holder = StringField(_l("Account holder's name"), render_kw={"autocomplete": "name"})
    number = StringField(
        _l("Alipay account or card number"),
        description=_l("Alipay: the mobile number or e-mail address. Bank card: the digits on the card."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    bank = StringField(
        _l("Bank (bank cards only)"),
        description=_l("For example 中国工商银行 北京分行"),
        render_kw={"autocomplete": "off"},
    )


class TransferForm(FlaskForm):
    reference = StringField(
        _l("Transfer reference"),
        description=_l("The bank's or Alipay's serial number of the transfer you made."),
        validators=[DataRequired(_l("Enter the transfer reference.")), Length(max=64)],
    )
    proof = FileField(
        _l("Proof of transfer"),
        description=_l("A screenshot or PDF of the transfer receipt."),
        render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"},
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=NOTE_MAX)])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_MAX)])


class RequiredNoteForm(FlaskForm):
    note = TextAreaField(
        _l("What you found and did"),
        validators=[DataRequired(_l("Write what you found and did.")), Length(max=NOTE_MAX)],
    )


class ArrivalForm(FlaskForm):
    note = TextAreaField(
        _l("Anything we should know? (optional)"),
        description=_l("For example the account you checked and when."),
        validators=[Length(max=NOTE_MAX)],
    )
