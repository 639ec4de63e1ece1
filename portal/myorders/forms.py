"""The order search form: a plain GET form, so it works without JavaScript and the address keeps the query."""

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from portal.i18n import lazy_gettext as _l
from portal.inputs import DATE_MAX, DATE_MIN, DATE_OUT_OF_RANGE, in_date_range
from portal.myorders.search import TABS, OrderQuery


class OrderSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a search changes nothing

    # Written as HTML by orders/list.html (its maxlength from the Length rule here).
    q = StringField(_l("Order number or product name"), validators=[Optional(), Length(max=60)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice("completed", _l("Completed")),
            SelectChoice("shipped", _l("Shipped")),
            SelectChoice("credited", _l("Credited")),
            SelectChoice("refunded", _l("Refunded or partly refunded")),
            SelectChoice("abnormal", _l("Abnormal")),
        ],
        validators=[Optional()],
        default="",
    )

    tab = HiddenField()  # the status tab (全部 / 可退款 / 退款中 / 已退款), kept while searching

    def query(self, valid: bool, page: int) -> OrderQuery:
        """What to look for: the fields when they are valid (else every order), the tab, the page."""
        return OrderQuery(
            text=(self.q.data or "") if valid else "",
            date_from=self.date_from.data if valid else None,
            date_to=self.date_to.data if valid else None,
            status=(self.status.data or "") if valid else "",
            tab=self.tab.data if self.tab.data in TABS else "",
            page=page,
        )

    def validate_date_from(self, field) -> None:
        _in_range(field)

    def validate_date_to(self, field) -> None:
        _in_range(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))


def _in_range(field) -> None:
    if field.data and not in_date_range(field.data):
        raise ValidationError(
            DATE_OUT_OF_RANGE % {"first": DATE_MIN.isoformat(), "last": DATE_MAX.isoformat()}
        )
