"""Sign-in forms."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.i18n import lazy_gettext as _l


class PhoneSignInForm(FlaskForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(message=_l("Please enter your mobile number.")), Length(max=20)],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "placeholder": "138 0013 8000"},
    )
    code = StringField(
        _l("Verification code"),
        validators=[Optional(), Regexp(r"^\s*\d{6}\s*$", message=_l("The code has 6 digits."))],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )


class StaffSignInForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=_l("Please enter your username.")), Length(max=64)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Please enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
