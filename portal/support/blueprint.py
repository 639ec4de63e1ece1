"""The support blueprint, defined once: views, complaint_views and green_views each add their routes to it
(portal.support.views imports the other two, so the app factory registering views.bp gets them all)."""

from flask import Blueprint

from portal.accounts.guards import staff_required
from portal.accounts.roles import REVIEW_ROLES

bp = Blueprint("support", __name__)
desk_required = staff_required(*REVIEW_ROLES)
