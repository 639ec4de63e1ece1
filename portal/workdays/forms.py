"""Forms of the calendar pages."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from portal.i18n import lazy_gettext as _l


class DayForm(FlaskForm):
    year = IntegerField(validators=[DataRequired(), NumberRange(2000, 2100)])
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date."))])
    kind = StringField(_l("Kind"), default="day_off")  # one of KIND_LABELS, checked by the service
    note = StringField(_l("Note (e.g. Spring Festival)"), validators=[Length(max=64)])


class ConfirmForm(FlaskForm):
    year = IntegerField(validators=[DataRequired(), NumberRange(2000, 2100)])
    notice = StringField(
        _l("The State Council's notice"), validators=[DataRequired(_l("Name the notice.")), Length(max=128)]
    )


class RemoveForm(FlaskForm):
    """The CSRF token only."""
