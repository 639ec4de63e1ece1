"""The customer's notification preferences."""

from flask_wtf import FlaskForm
from wtforms import BooleanField

from portal.i18n import lazy_gettext as _l


class NotificationSettingsForm(FlaskForm):
    sms_opt_in = BooleanField(_l("Send me an SMS when a refund request changes"))
    sms_with_app = BooleanField(_l("Also by SMS when the APP has already notified me"))
