"""站内信: the customer's inbox, marking messages read, and the live unread count in the header."""

from flask import Blueprint, Response, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, func, select, update

from portal import shell
from portal.accounts.guards import customer_required
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import current_locale_code
from portal.notifications.forms import NotificationSettingsForm
from portal.notifications.models import InboxMessage
from portal.notifications.preferences import save_preferences
from portal.pagecache import cached_page
from portal.rendering import redirect_to, render, wants_fragment

bp = Blueprint("notifications", __name__)

PAGE_SIZE = 50
BADGE_POLL_SECONDS = 30


# Asked on every page with the tab bar: the statement is built once.
_UNREAD = select(func.count(InboxMessage.id)).where(
    InboxMessage.customer_id == bindparam("customer_id"), InboxMessage.read_at.is_(None)
)


def unread_count(customer_id: int) -> int:
    """Unread messages of a customer (one query on the (customer_id, read_at) index)."""
    return db.session.scalar(_UNREAD, {"customer_id": customer_id})


@bp.record_once
def _count_in_the_shell(state) -> None:
    shell.register_count(state.app, "inbox_unread", _UNREAD)


@bp.app_context_processor
def inbox_badge() -> dict:
    """`inbox_unread()` for the tab bar's badge; counted only when a page shows it (in the shell's one query
    for its badges)."""

    def inbox_unread() -> int:
        return shell.shell_count("inbox_unread")

    return {"inbox_unread": inbox_unread, "inbox_etag": badge_etag, "inbox_poll_seconds": BADGE_POLL_SECONDS}


def badge_etag(count: int) -> str:
    """The badge's validator: it shows nothing but the count, in the page's language."""
    return f"inbox-{count}-{current_locale_code()}"


@bp.get("/messages")
@cached_page
def inbox() -> Response:
    """The customer's messages, newest first, unread ones marked."""
    messages = db.session.scalars(
        select(InboxMessage)
        .where(InboxMessage.customer_id == current_user.id)
        .order_by(InboxMessage.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render("notifications/inbox.html", "messages", messages=messages)


@bp.post("/messages/<int:message_id>/read")
@customer_required
def mark_read(message_id: int) -> Response:
    """Mark one message read; htmx gets the message back re-rendered, a plain form goes back to the inbox."""
    message = db.session.scalar(
        select(InboxMessage).where(InboxMessage.id == message_id, InboxMessage.customer_id == current_user.id)
    )
    if message is None:
        abort(404)
    if message.read_at is None:
        message.read_at = utcnow()
        db.session.commit()
    if wants_fragment():
        response = render("notifications/inbox.html", "message_item", message=message)
        # The header badge refreshes at once instead of at its next poll.
        response.headers["HX-Trigger"] = "inbox-changed"
        return response
    return redirect_to(url_for("notifications.inbox") + f"#message-{message.id}")


@bp.post("/messages/read-all")
@customer_required
def mark_all_read() -> Response:
    """Mark every message read."""
    db.session.execute(
        update(InboxMessage)
        .where(InboxMessage.customer_id == current_user.id, InboxMessage.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(page_owner=current_user.id)  # whose pages change (portal.pagecache)
    )
    db.session.commit()
    return redirect_to(url_for("notifications.inbox"))


@bp.get("/messages/badge")
@cached_page
def badge() -> Response:
    """The header's inbox link with its unread count; 304 (no swap) while the count is unchanged."""
    count = unread_count(current_user.id)
    etag = badge_etag(count)
    if request.if_none_match.contains_weak(etag):
        response = make_response("", 304)
        response.headers["HX-Reswap"] = "none"
    else:
        response = render("notifications/_badge.html", "badge", unread=count)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    return response


@bp.route("/messages/settings", methods=["GET", "POST"])
@customer_required
def settings() -> Response:
    """How the customer hears about changes: the inbox always, SMS by choice, push when they have the APP."""
    customer = current_user._get_current_object()
    # Unticked boxes send nothing: an empty POST still means "both off", not "keep what is stored".
    formdata = request.form if request.method == "POST" else None
    form = NotificationSettingsForm(formdata=formdata, obj=customer)
    if form.validate_on_submit():
        save_preferences(customer, form.sms_opt_in.data, form.sms_with_app.data)
        flash(_("Your notification settings were saved."), "success")
        return redirect_to(url_for("notifications.settings"))
    return render("notifications/settings.html", "settings_form", form=form, has_app=customer.has_app)
