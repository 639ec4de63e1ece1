"""The staff menu: each link shown only to the roles its pages admit."""

from flask_login import current_user

from portal.accounts.roles import ADMIN_ROLES, EDITOR_ROLES, REVIEW_ROLES, SENIOR_ROLES
from portal.i18n import lazy_gettext as _l

STAFF_LINKS = (
    ("staff.queue", _l("Review queue"), REVIEW_ROLES),
    ("support.desk", _l("Service desk"), REVIEW_ROLES),
    ("support.desk_complaints", _l("Complaints"), REVIEW_ROLES),
    ("support.green_requests", _l("Priority requests"), SENIOR_ROLES),
    ("staff_notifications.failures", _l("Notifications"), REVIEW_ROLES),
    ("payouts.staff_queue", _l("Payouts"), SENIOR_ROLES),
    ("policyeditor.index", _l("Policy texts"), EDITOR_ROLES),
    ("workdays.calendar", _l("Working days"), ADMIN_ROLES),
    ("ops.operations", _l("Operations"), ADMIN_ROLES),
    ("support.replies", _l("Canned replies"), EDITOR_ROLES),
)


def staff_links() -> list[tuple[str, str]]:
    """(endpoint, label) of the staff pages the signed-in staff member may open."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return []
    return [(endpoint, label) for endpoint, label, roles in STAFF_LINKS if current_user.has_role(*roles)]
