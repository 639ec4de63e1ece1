"""Development-only pages (registered only when DEV_PAGES is on): the console SMS outbox."""

from flask import Blueprint
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import ConsoleSms
from portal.rendering import render

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/sms")
def sms():
    """The latest messages the console SMS backend 'sent', so a newcomer can sign in."""
    messages = db.session.scalars(select(ConsoleSms).order_by(ConsoleSms.id.desc()).limit(30)).all()
    return render("dev/sms.html", messages=messages)
