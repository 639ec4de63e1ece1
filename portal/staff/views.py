"""Staff area (/staff): the review queue."""

from flask import Blueprint
from sqlalchemy import select

from portal.accounts.guards import staff_required
from portal.accounts.models import StaffRole
from portal.cases.models import RefundCase
from portal.extensions import db
from portal.rendering import render

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required(StaffRole.REVIEWER, StaffRole.SENIOR, StaffRole.EDITOR)
def queue():
    """Open cases, green channel first, then by deadline."""
    cases = db.session.scalars(
        select(RefundCase)
        .where(RefundCase.is_open.is_(True))
        .order_by(RefundCase.green_channel.desc(), RefundCase.review_due_at)
        .limit(100)
    ).all()
    return render("staff/queue.html", cases=cases)


from portal.staff import notifications as _notifications  # noqa: E402,F401  (registers /staff/notifications)
