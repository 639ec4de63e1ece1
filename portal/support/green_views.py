"""Green channel on request: the customer's page for a case, and the seniors' answers.

Routes of the one support blueprint (portal.support.blueprint); portal.support.views imports this module."""

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.guards import customer_required, staff_required
from portal.accounts.roles import SENIOR_ROLES
from portal.cases import deadlines
from portal.cases.dates import local_deadline
from portal.cases.services import get_customer_case
from portal.clock import utcnow
from portal.extensions import db
from portal.money import format_fen
from portal.rendering import redirect_to, render
from portal.support import green
from portal.support.blueprint import bp
from portal.support.labels import GREEN_WHY, error_message
from portal.support.models import GreenChannelRequest
from portal.support.notify import tell_in_inbox


@bp.app_template_global()
def green_channel_status(case) -> green.Status:
    """For 退款进度: whether the case is in the green channel, why, and whether priority may be asked."""
    return green.status(case)


@bp.app_template_global()
def green_channel_why(status: green.Status) -> str:
    """Why the case is in the green channel, in the page's language ('' when it is not)."""
    return str(GREEN_WHY[status.why]) % {"amount": format_fen(status.threshold_fen)} if status.why else ""


@bp.route("/support/cases/<int:case_id>/green-channel", methods=["GET", "POST"])
@customer_required
def ask_green_channel(case_id: int) -> Response:
    """Ask for priority on an open request, with the reason (urgent need)."""
    case = get_customer_case(current_user.id, case_id)
    if case is None:
        abort(404)
    reason, error, status = request.form.get("reason", ""), "", 200
    if request.method == "POST":
        try:
            green.ask(case, current_user.id, reason, utcnow())
            db.session.commit()
            flash(
                _(
                    "Your request for priority was sent. A senior reviewer answers within %(hours)s hours.",
                    hours=deadlines.PROMISED_HOURS["green_request"],
                ),
                "success",
            )
            return redirect_to(url_for("cases.progress", case_id=case.id))
        except green.SupportError as exc:
            db.session.rollback()
            error, status = error_message(exc.code, exc.params), 422
    return render(
        "support/green_channel.html",
        status=status,
        case=case,
        green=green.status(case),
        reason=reason,
        error=error,
        reason_max=green.REASON_MAX,
    )


@bp.get("/staff/support/green-channel")
@staff_required(*SENIOR_ROLES)
def green_requests() -> Response:
    """Requests for priority waiting for a senior, the nearest deadline first."""
    return render("support/green_requests.html", rows=green.pending(), now=utcnow())


@bp.post("/staff/support/green-channel/<int:request_id>")
@staff_required(*SENIOR_ROLES)
def decide_green(request_id: int) -> Response:
    """Grant or decline; the customer hears of it in 站内信."""
    found = db.session.get(GreenChannelRequest, request_id)
    if found is None:
        abort(404)
    grant = request.form.get("decision") == "grant"
    try:
        green.decide(found, current_user, grant, request.form.get("answer", ""), utcnow())
    except green.SupportError as exc:
        db.session.rollback()
        flash(error_message(exc.code), "error")
        return redirect_to(url_for("support.green_requests"))
    case, customer = found.case, found.case.customer
    if found.status == green.GRANTED:
        due = local_deadline(case.review_due_at, customer.locale) if case.review_due_at else ""
        tell_in_inbox(customer, "green_channel_granted", case.id, number=case.number, due=due)
    else:
        tell_in_inbox(
            customer, "green_channel_declined", case.id, number=case.number, answer=found.answer or "—"
        )
    db.session.commit()
    flash(_("The request for priority was answered."), "success")
    return redirect_to(url_for("support.green_requests"))
