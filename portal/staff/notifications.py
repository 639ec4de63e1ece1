"""Notification failures for staff (/staff/notifications): what the workers could not send, with a retry.

Registered on the staff blueprint (imported at the end of portal.staff.views).
"""

from flask import Response, abort, flash, url_for
from flask_babel import gettext as _

from portal import outbox
from portal.accounts.guards import staff_required
from portal.accounts.roles import REVIEW_ROLES
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.labels import FAILURE
from portal.rendering import redirect_to, render
from portal.staff.views import bp

# Reviewers answer customers who say they heard nothing; seniors and admins (admin holds every role) too.


@bp.get("/notifications")
@staff_required(*REVIEW_ROLES)
def notification_failures() -> Response:
    """Failed notifications (retries spent) and pending ones long overdue (workers or Redis down)."""
    now = utcnow()
    return render(
        "notifications/staff_failures.html",
        failed=outbox.failed_items(),
        stuck=outbox.stuck_items(now),
        now=now,
        failure_labels=FAILURE,
    )


@bp.post("/notifications/<int:item_id>/retry")
@staff_required(*REVIEW_ROLES)
def retry_notification(item_id: int) -> Response:
    """Send a failed notification again (same de-duplication key: the provider never doubles it)."""
    item = outbox.retry_item(item_id)
    if item is None:
        abort(404)
    db.session.commit()
    flash(_("The message was queued again."), "success")
    return redirect_to(url_for("staff.notification_failures"))
