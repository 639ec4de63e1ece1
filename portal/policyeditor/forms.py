"""Policy editor forms: one slot (texts per language and the rule's numbers), general numbers, publishing."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.i18n import lazy_gettext as _l
from portal.money import yuan_to_fen
from portal.notifications.labels import EVENT_TEXTS
from portal.orders.kinds import Category, Usage
from portal.orders.labels import CATEGORY, USAGE
from portal.policy.kinds import AmountMethod
from portal.policy.labels import AMOUNT_METHOD_LABELS
from portal.policy.rules import MAX_COALESCE_SECONDS
from portal.policyeditor.services import LANGS, AmountChoice, GlobalNumbers, SlotNumbers, SlotTexts

HINT_MAX = 4000
ITEM_MAX = 400
SUMMARY_MAX = 600
PERCENT_METHODS = (AmountMethod.PERCENT.value, AmountMethod.STAFF_DECIDES.value)


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class PublishForm(FlaskForm):
    note = TextAreaField(_l("What changed, and why (shown in the history)"), [Optional(), Length(max=500)])


def method_choices() -> list[SelectChoice]:
    """Amount methods offered per usage state; "" leaves the state out of the rule."""
    methods = [SelectChoice(m.value, AMOUNT_METHOD_LABELS[m]) for m in AmountMethod]
    return [SelectChoice("", _l("Not refundable in this state")), *methods]


def slot_form_class(evidence_keys: list[str], has_unactivated: bool, has_trial: bool) -> type[FlaskForm]:
    """A form class for one slot: its fields depend on the rule's checklist and conditions."""
    fields: dict[str, object] = {}
    for lang in LANGS:
        fields[f"hint_{lang}"] = TextAreaField(_l("Hint (Markdown)"), [InputRequired(), Length(max=HINT_MAX)])
        for number, key in enumerate(evidence_keys, 1):
            label = _l("Evidence item %(number)s", number=number)
            fields[f"item_{key}_{lang}"] = TextAreaField(label, [InputRequired(), Length(max=ITEM_MAX)])
    for key in evidence_keys:
        fields[f"required_{key}"] = BooleanField(_l("Required"))
    fields["allowed"] = BooleanField(_l("Offered to customers"))
    for usage in Usage:
        fields[f"method_{usage.value}"] = SelectField(USAGE[usage], choices=method_choices())
        fields[f"percent_{usage.value}"] = IntegerField(_l("Percent"), [Optional()])
    fields["review_working_days"] = IntegerField(
        _l("Review working days (empty: the general value)"), [Optional()]
    )
    if has_unactivated:
        fields["unactivated_days"] = IntegerField(
            _l("Days without activation or use before the contract can be ended"), [InputRequired()]
        )
    if has_trial:
        fields["trial_days"] = IntegerField(
            _l("Trial days (when the order has no trial end of its own)"), [Optional()]
        )
    return type("SlotForm", (FlaskForm,), fields)


def slot_form_data(texts: dict[str, SlotTexts], numbers: SlotNumbers) -> dict[str, object]:
    """Initial form values from the stored slot."""
    data: dict[str, object] = {"allowed": numbers.allowed, "review_working_days": numbers.review_working_days}
    for lang, slot_texts in texts.items():
        data[f"hint_{lang}"] = slot_texts.hint
        for key, text in slot_texts.checklist.items():
            data[f"item_{key}_{lang}"] = text
    for key, required in numbers.required.items():
        data[f"required_{key}"] = required
    for usage in Usage:
        choice = numbers.amounts.get(usage)
        data[f"method_{usage.value}"] = choice.method if choice else ""
        data[f"percent_{usage.value}"] = choice.percent if choice else None
    data["unactivated_days"] = numbers.unactivated_days
    data["trial_days"] = numbers.trial_days
    return data


def slot_edit_from(form: FlaskForm, evidence_keys: list[str]) -> tuple[dict[str, SlotTexts], SlotNumbers]:
    """The edited texts and numbers of a validated slot form."""
    texts = {
        lang: SlotTexts(
            hint=_text(form[f"hint_{lang}"].data),
            checklist={key: _text(form[f"item_{key}_{lang}"].data) for key in evidence_keys},
        )
        for lang in LANGS
    }
    amounts = {
        usage: AmountChoice(form[f"method_{usage.value}"].data, _percent(form, usage))
        for usage in Usage
        if form[f"method_{usage.value}"].data
    }
    numbers = SlotNumbers(
        allowed=bool(form.allowed.data),
        amounts=amounts,
        review_working_days=form.review_working_days.data,
        unactivated_days=form.unactivated_days.data if "unactivated_days" in form else None,
        trial_days=form.trial_days.data if "trial_days" in form else None,
        required={key: bool(form[f"required_{key}"].data) for key in evidence_keys},
    )
    return texts, numbers


def _text(value: str) -> str:
    # Browsers send textareas with CRLF; stored texts use LF so that versions diff line by line.
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _percent(form: FlaskForm, usage: Usage) -> int | None:
    # A percentage only means something for a fixed share or a staff-set partial refund.
    if form[f"method_{usage.value}"].data in PERCENT_METHODS:
        return form[f"percent_{usage.value}"].data
    return None


class GeneralForm(FlaskForm):
    green_channel_yuan = DecimalField(
        _l("Green-channel amount (yuan): cases of at least this much go first"),
        [InputRequired()],
        places=2,
    )
    review_working_days = IntegerField(_l("Review working days (default for every rule)"), [InputRequired()])
    coalesce_seconds = IntegerField(
        _l("Seconds a case's SMS or push waits, so that news following within them replaces it"),
        [InputRequired(), NumberRange(min=0, max=MAX_COALESCE_SECONDS)],
    )

    def validate_green_channel_yuan(self, field: DecimalField) -> None:
        """Yuan with at most two decimals (fen are whole)."""
        try:
            yuan_to_fen(field.data)
        except ValueError:
            raise ValidationError(_l("Enter an amount in yuan with at most two decimals.")) from None


def general_form_class() -> type[GeneralForm]:
    """GeneralForm plus one summary field per language × category."""
    fields = {
        f"summary_{lang}_{category.value}": TextAreaField(
            CATEGORY[category], [InputRequired(), Length(max=SUMMARY_MAX)]
        )
        for lang in LANGS
        for category in Category
    }
    for key, texts in EVENT_TEXTS.items():
        fields[phone_field(key)] = BooleanField(texts.title)
    return type("GeneralSummariesForm", (GeneralForm,), fields)


def phone_field(event: str) -> str:
    """The general form's checkbox saying that this event goes to the phone."""
    return f"phone_{event}"


def general_form_data(numbers: GlobalNumbers, summaries: dict[str, dict[str, str]]) -> dict[str, object]:
    """Initial values of the general form."""
    data: dict[str, object] = {
        "green_channel_yuan": Decimal(numbers.green_channel_fen) / 100,
        "review_working_days": numbers.review_working_days,
        "coalesce_seconds": numbers.coalesce_seconds,
    }
    for key in EVENT_TEXTS:
        data[phone_field(key)] = key in numbers.phone_events
    for lang, by_category in summaries.items():
        for category, text in by_category.items():
            data[f"summary_{lang}_{category}"] = text
    return data


def general_edit_from(form: FlaskForm) -> tuple[GlobalNumbers, dict[str, dict[str, str]]]:
    """The edited numbers (yuan → fen) and summaries of a validated general form."""
    numbers = GlobalNumbers(
        green_channel_fen=yuan_to_fen(form.green_channel_yuan.data),
        review_working_days=form.review_working_days.data,
        phone_events=tuple(key for key in EVENT_TEXTS if form[phone_field(key)].data),
        coalesce_seconds=form.coalesce_seconds.data,
    )
    summaries = {
        lang: {c.value: _text(form[f"summary_{lang}_{c.value}"].data) for c in Category} for lang in LANGS
    }
    return numbers, summaries
