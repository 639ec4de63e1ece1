"""投诉建议 pages: customers file and follow complaints; staff answer and close them.

Routes of the one support blueprint (portal.support.blueprint); portal.support.views imports this module."""

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.guards import customer_required
from portal.cases.dates import local_deadline
from portal.cases.services import customer_cases
from portal.clock import utcnow
from portal.extensions import db
from portal.rendering import redirect_to, render
from portal.support import complaints
from portal.support.blueprint import bp, desk_required
from portal.support.labels import COMPLAINT_CATEGORIES, error_message
from portal.support.models import Complaint
from portal.support.notify import tell_in_inbox


def _form_values() -> dict:
    return {
        "category": request.values.get("category", ""),
        "case_id": request.values.get("case", type=int),
        "staff_named": request.values.get("staff_named", ""),
        "body": request.values.get("body", ""),
    }


@bp.get("/support/complaints")
@customer_required
def complaints_page() -> Response:
    """投诉建议: the customer's complaints and the form to file one (?case= preselects the request)."""
    return _complaints_page(_form_values())


def _complaints_page(values: dict, status: int = 200, error: str = "") -> Response:
    return render(
        "support/complaints.html",
        status=status,
        values=values,
        error=error,
        categories=COMPLAINT_CATEGORIES,
        cases=customer_cases(current_user.id),
        complaints=complaints.customer_complaints(current_user.id),
    )


@bp.post("/support/complaints")
@customer_required
def file_complaint() -> Response:
    values = _form_values()
    try:
        complaint = complaints.file_complaint(
            current_user.id,
            values["category"],
            values["case_id"],
            values["staff_named"],
            values["body"],
            utcnow(),
        )
        tell_in_inbox(
            current_user,
            "complaint_received",
            complaint.case_id,
            number=complaint.number,
            due=_due(complaint),
        )
        db.session.commit()
    except complaints.SupportError as exc:
        db.session.rollback()
        return _complaints_page(values, 422, error_message(exc.code, exc.params))
    flash(_("Your complaint %(number)s was received.", number=complaint.number), "success")
    return redirect_to(url_for("support.complaint", complaint_id=complaint.id))


def _due(complaint: Complaint) -> str:
    return local_deadline(complaint.due_at, current_user.locale)


@bp.get("/support/complaints/<int:complaint_id>")
@customer_required
def complaint(complaint_id: int) -> Response:
    """One complaint: what was said, the deadline, and the answer once closed."""
    found = complaints.customer_complaint(current_user.id, complaint_id)
    if found is None:
        abort(404)
    return render("support/complaint.html", complaint=found, categories=COMPLAINT_CATEGORIES)


# -- staff ---------------------------------------------------------------------------------------------


@bp.get("/staff/support/complaints")
@desk_required
def desk_complaints() -> Response:
    """Open complaints, the nearest 24-hour deadline first."""
    return render(
        "support/desk_complaints.html",
        rows=complaints.open_complaints(),
        now=utcnow(),
        categories=COMPLAINT_CATEGORIES,
    )


@bp.route("/staff/support/complaints/<int:complaint_id>", methods=["GET", "POST"])
@desk_required
def desk_complaint(complaint_id: int) -> Response:
    """A complaint and the form that closes it with an answer (required)."""
    found = db.session.get(Complaint, complaint_id)
    if found is None:
        abort(404)
    answer, error, status = request.form.get("answer", ""), "", 200
    if request.method == "POST":
        try:
            complaints.close(found, current_user, answer, utcnow())
            tell_in_inbox(
                found.customer, "complaint_answered", found.case_id, number=found.number, answer=found.answer
            )
            db.session.commit()
            flash(_("The complaint was answered and closed."), "success")
            return redirect_to(url_for("support.desk_complaints"))
        except complaints.SupportError as exc:
            db.session.rollback()
            error, status = error_message(exc.code, exc.params), 422
    return render(
        "support/desk_complaint.html",
        status=status,
        complaint=found,
        answer=answer,
        error=error,
        now=utcnow(),
        categories=COMPLAINT_CATEGORIES,
    )
