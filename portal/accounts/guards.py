"""Who may see a view: signed-in customers, or staff with one of the given roles."""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from portal.accounts.models import StaffRole


def customer_required(view):
    """Only a signed-in customer; others are sent to sign in."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or current_user.is_staff:
            return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def staff_required(*roles: StaffRole):
    """Only staff holding one of the roles (admin holds all); others get 403."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.staff_sign_in", next=request.full_path.rstrip("?")))
            if not current_user.is_staff or (roles and not current_user.has_role(*roles)):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
