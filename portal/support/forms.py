"""The message box (customers and staff), assigning a conversation, and the canned-reply editor."""

import secrets

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.i18n import lazy_gettext as _l
from portal.support.services import MESSAGE_MAX


def _new_token() -> str:
    return secrets.token_urlsafe(16)


class MessageForm(FlaskForm):
    # Length is checked by the service (one rule, one message); maxlength here only helps the keyboard.
    body = TextAreaField(_l("Your message"), render_kw={"rows": 4, "maxlength": MESSAGE_MAX})
    photo = FileField(_l("Add a photo"), render_kw={"accept": "image/*"})
    # New with every rendered form (kept when the form comes back refused): a repeat of the same Send.
    token = HiddenField(default=_new_token)


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Answer"), render_kw={"rows": 8, "maxlength": MESSAGE_MAX})


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"), coerce=int)


class CannedReplyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=80)])
    body_zh = TextAreaField(_l("Text in Chinese"), validators=[DataRequired(), Length(max=MESSAGE_MAX)])
    body_en = TextAreaField(_l("Text in English"), validators=[DataRequired(), Length(max=MESSAGE_MAX)])
    active = BooleanField(_l("Offered to staff"), default=True)
