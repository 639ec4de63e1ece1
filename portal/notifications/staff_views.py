"""Notification failures for staff (/staff/notifications): what the workers could not send, with a retry.

A page of the staff console that belongs to notifications (its own blueprint, as ops and workdays have).
"""

from flask import Blueprint, Response, abort, flash, url_for
from flask_babel import gettext as _

from portal import outbox
from portal.accounts.guards import staff_required
from portal.accounts.roles import REVIEW_ROLES
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.labels import FAILURE
from portal.rendering import redirect_to, render

bp = Blueprint("staff_notifications", __name__, url_prefix="/staff/notifications")

# Reviewers answer customers who say they heard nothing; seniors and admins (admin holds every role) too.


@bp.get("")
@staff_required(*REVIEW_ROLES)
def failures() -> Response:
    """Failed notifications (retries spent) and pending ones long overdue (workers or Redis down)."""
    now = utcnow()
    return render(
        "notifications/staff_failures.html",
        failed=outbox.failed_items(),
        stuck=outbox.stuck_items(now),
        superseded=outbox.superseded_items(),
        now=now,
        failure_labels=FAILURE,
    )


@bp.post("/<int:item_id>/retry")
@staff_required(*REVIEW_ROLES)
def retry(item_id: int) -> Response:
    """Send a failed notification again (same de-duplication key: the provider never doubles it)."""
    item = outbox.retry_item(item_id)
    if item is None:
        abort(404)
    db.session.commit()
    flash(_("The message was queued again."), "success")
    return redirect_to(url_for("staff_notifications.failures"))
