"""Payout endpoints: gateway notifications, the customer's refund payment page, staff's manual payouts.

- POST /payouts/notify/<route>                  gateway result notification (CSRF-exempt, signature-checked)
- GET  /payouts/cases/<case_id>                 the customer's refund payment (live while under way)
- GET|POST /payouts/cases/<case_id>/account     the customer's receiving account (offline refunds)
- POST /payouts/cases/<case_id>/arrival         the customer: received / did not arrive
- GET  /staff/payouts                           staff queue (senior, admin)
- GET  /staff/payouts/<id>                      one payout, its history and the staff actions
- POST /staff/payouts/<id>/{transfer,retry,query,close,resolve};  GET /staff/payouts/<id>/proof
"""

from flask import Blueprint, Response, abort, current_app, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from portal.accounts.guards import customer_required, staff_required
from portal.accounts.roles import SENIOR_ROLES
from portal.cases import deadlines
from portal.cases.models import RefundCase
from portal.cases.states import CaseState
from portal.evidence import stores
from portal.evidence.inspect import EvidenceError, process
from portal.evidence.labels import refusal_message
from portal.evidence.storage import InvalidKeyError, Storage
from portal.extensions import csrf, db
from portal.payouts import labels, manual, services
from portal.payouts.forms import ArrivalForm, NoteForm, ReceivingAccountForm, RequiredNoteForm, TransferForm
from portal.payouts.models import Payout
from portal.payouts.presenting import present
from portal.payouts.receiving import AccountError, validate
from portal.payouts.services import PayoutError
from portal.rendering import redirect_to, render, wants_fragment

bp = Blueprint("payouts", __name__)

staff_only = staff_required(*SENIOR_ROLES)  # admins hold every role
PROOF_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}
ERROR_STATUS = {"not_found": 404, "gateway_paid": 409, "gateway_unsure": 409, "already_paid": 409}


def _settings() -> services.PayoutSettings:
    return services.PayoutSettings.from_config(current_app.config)


def _storage() -> Storage:
    return stores.get("payout-proofs")


@bp.app_template_global()
def payout_of(case):
    """The case's payout as pages show it (route, amount, reference, times, expected arrival), or None."""
    payout = services.payout_for_case(case.id if hasattr(case, "id") else int(case))
    return present(payout) if payout is not None else None


@bp.app_template_global()
def payout_event_label(action: str):
    """Names of the payout entries in a case's log (None for other entries)."""
    return labels.EVENTS.get(action)


# Gateway notifications ----------------------------------------------------------------------------


@bp.post("/payouts/notify/<route>")
@csrf.exempt  # the gateway cannot hold our CSRF token: the signature is the proof instead
def notify(route: str) -> Response:
    """A gateway's result notification: "success" when known (also for a replay), "fail" and 400 otherwise."""
    settings = _settings()
    result = services.handle_notification(route, request.headers, request.get_data(), settings)
    status, body, mimetype = services.notification_reply(route, result, settings)
    return Response(body, status, mimetype=mimetype)


# The customer -------------------------------------------------------------------------------------


def _own_payout(case_id: int) -> Payout:
    payout = manual.customer_payout(current_user.id, case_id)
    if payout is None:
        abort(404)
    return payout


def _progress_url(case_id: int) -> str | None:
    try:
        return url_for("cases.progress", case_id=case_id)
    except BuildError:  # the progress page belongs to the case lifecycle feature
        return None


def _customer_page(payout: Payout, status: int = 200, form=None, message: str | None = None):
    return render(
        "payouts/customer.html",
        block="payout",
        status=status,
        pv=present(payout),
        case=payout.case,
        form=form or ArrivalForm(formdata=None),
        message=message,
        progress_url=_progress_url(payout.case_id),
    )


@bp.get("/payouts/cases/<int:case_id>")
@customer_required
def customer_payout(case_id: int):
    """The refund payment of the customer's case; htmx polls the live part while it is under way."""
    return _customer_page(_own_payout(case_id))


@bp.route("/payouts/cases/<int:case_id>/account", methods=["GET", "POST"])
@customer_required
def receiving_account(case_id: int):
    """Where an offline (bank transfer) refund should go: Alipay account or bank card."""
    payout = _own_payout(case_id)
    if not manual.needs_account(payout):
        flash(labels.error_message("account_locked"), "error")
        return redirect_to(url_for(".customer_payout", case_id=case_id))
    form = ReceivingAccountForm()
    if request.method == "GET" and payout.receiving_account is not None:
        form.kind.data = str(payout.receiving_account.kind)
        form.holder.data = payout.receiving_account.holder_name
        form.bank.data = payout.receiving_account.bank_name
    if request.method == "POST" and form.validate():
        try:
            account = validate(form.kind.data, form.holder.data, form.number.data, form.bank.data)
            manual.set_receiving_account(payout.id, current_user.id, account)
        except AccountError as error:
            getattr(form, error.field).errors = [labels.account_error(error.code)]
        except PayoutError as error:
            return _account_page(payout, form, 409, labels.error_message(error.code))
        else:
            flash(_("Thank you. Our staff will transfer your refund to this account."), "success")
            return redirect_to(url_for(".customer_payout", case_id=case_id))
    status = 422 if request.method == "POST" else 200
    return _account_page(payout, form, status)


def _account_page(payout: Payout, form, status: int, message: str | None = None):
    return render(
        "payouts/account.html",
        block="account_form",
        status=status,
        pv=present(payout),
        form=form,
        message=message,
        current=payout.receiving_account,
    )


@bp.post("/payouts/cases/<int:case_id>/arrival")
@customer_required
def arrival(case_id: int):
    """The customer says the money arrived (button "received") or did not ("not_arrived")."""
    payout = _own_payout(case_id)
    form = ArrivalForm()
    answer = request.form.get("answer")
    if answer not in ("received", "not_arrived") or not form.validate():
        return _customer_page(payout, 422, form, _("Choose whether the money arrived."))
    try:
        manual.report_arrival(payout.id, current_user.id, answer == "received", form.note.data or "")
    except PayoutError as error:
        db.session.rollback()
        return _customer_page(payout, 409, form, labels.error_message(error.code))
    if answer == "received":
        flash(_("Thank you for confirming that the refund arrived."), "success")
    else:
        flash(_("We are sorry. Our staff will look into it and contact you."), "success")
    return redirect_to(url_for(".customer_payout", case_id=case_id))


# Staff --------------------------------------------------------------------------------------------


@bp.get("/staff/payouts")
@staff_only
def staff_queue():
    """Payouts for staff: to pay by hand, to close, reported missing, awaiting an account, in trouble."""
    return render(
        "payouts/staff_queue.html", queue=manual.staff_queue(), state_labels=labels.STATE, present=present
    )


def _staff_payout(payout_id: int) -> Payout:
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        abort(404)
    return payout


def _staff_page(
    payout: Payout,
    status: int = 200,
    message: str | None = None,
    forms: dict | None = None,
    notice: str | None = None,
):
    all_forms = {
        "transfer": TransferForm(formdata=None),
        "retry": NoteForm(formdata=None),
        "resolve": RequiredNoteForm(formdata=None),
    }
    all_forms.update(forms or {})
    case = db.session.get(RefundCase, payout.case_id)
    try:
        case_url = url_for("staff.case", case_id=case.id)
    except BuildError:
        case_url = None
    return render(
        "payouts/staff_detail.html",
        block="payout_body",
        status=status,
        payout=payout,
        pv=present(payout),
        case=case,
        case_url=case_url,
        start_due=deadlines.payout_start_due(payout.created_at),
        order=payout.order,
        events=_since_approval(case.events),
        state_label=labels.STATE[payout.state],
        source_label=labels.SOURCE.get(payout.success_source) if payout.success_source else None,
        message=message,
        notice=notice,
        forms=all_forms,
    )


def _since_approval(events: list) -> list:
    """The case's log from its (last) approval on: the payout's story."""
    starts = [i for i, e in enumerate(events) if e.to_state == CaseState.APPROVED]
    return events[starts[-1] :] if starts else []


@bp.get("/staff/payouts/<int:payout_id>")
@staff_only
def staff_payout(payout_id: int):
    """One payout: facts, receiving account in full (staff pay to it), history and actions."""
    return _staff_page(_staff_payout(payout_id))


def _staff_done(payout_id: int, text: str):
    """After an action: htmx gets the fresh page body with the notice; plain forms a 303 back."""
    if wants_fragment():
        db.session.expire_all()
        return _staff_page(_staff_payout(payout_id), notice=text)
    flash(text, "success")
    return redirect_to(url_for(".staff_payout", payout_id=payout_id))


def _staff_refused(payout_id: int, error: PayoutError, forms: dict | None = None):
    db.session.rollback()
    status = ERROR_STATUS.get(error.code, 422)
    if wants_fragment():
        status = 422  # htmx swaps 422 answers only; the message must be seen
    return _staff_page(_staff_payout(payout_id), status, labels.error_message(error.code), forms)


@bp.post("/staff/payouts/<int:payout_id>/transfer")
@staff_only
def record_transfer(payout_id: int):
    """Record a transfer staff made by hand: reference and proof; the case becomes 已退款."""
    payout = _staff_payout(payout_id)
    form = TransferForm()
    upload = request.files.get("proof")
    data = upload.read() if upload else b""
    if not form.validate() or not data:
        if not data:
            form.proof.errors = [_("Attach the proof of the transfer (an image or a PDF).")]
        return _staff_page(payout, 422, forms={"transfer": form})
    try:
        proof = process(data, current_app.config["MAX_FILE_BYTES"], current_app.config["MAX_IMAGE_PIXELS"])
    except EvidenceError as error:
        form.proof.errors = [refusal_message(error)]
        return _staff_page(payout, 422, forms={"transfer": form})
    record = manual.TransferRecord(form.reference.data, form.note.data or "", proof)
    try:
        manual.record_transfer(payout.id, current_user.id, record, _storage(), _settings())
    except PayoutError as error:
        return _staff_refused(payout_id, error, {"transfer": form})
    return _staff_done(payout_id, _("The transfer is recorded and the customer is told."))


@bp.post("/staff/payouts/<int:payout_id>/retry")
@staff_only
def retry(payout_id: int):
    """Send a manual gateway payout again (same request number)."""
    _staff_payout(payout_id)
    form = NoteForm()
    if not form.validate():
        return _staff_page(_staff_payout(payout_id), 422, forms={"retry": form})
    try:
        manual.retry_through_gateway(payout_id, current_user.id, form.note.data or "")
    except PayoutError as error:
        return _staff_refused(payout_id, error)
    return _staff_done(payout_id, _("The payout will be sent again through the gateway."))


@bp.post("/staff/payouts/<int:payout_id>/query")
@staff_only
def query(payout_id: int):
    """Ask the gateway now what became of the payout."""
    _staff_payout(payout_id)
    status = services.query(payout_id, _settings())
    return _staff_done(payout_id, _("The gateway answered: %(status)s.", status=str(status or "—")))


@bp.post("/staff/payouts/<int:payout_id>/close")
@staff_only
def close(payout_id: int):
    """The gateway paid after manual handling began: close the case as refunded."""
    _staff_payout(payout_id)
    try:
        manual.close_refunded(payout_id, current_user.id)
    except PayoutError as error:
        return _staff_refused(payout_id, error)
    return _staff_done(payout_id, _("The case is closed as refunded."))


@bp.post("/staff/payouts/<int:payout_id>/resolve")
@staff_only
def resolve(payout_id: int):
    """Answer a customer's "did not arrive" report."""
    _staff_payout(payout_id)
    form = RequiredNoteForm()
    if not form.validate():
        return _staff_page(_staff_payout(payout_id), 422, forms={"resolve": form})
    try:
        manual.resolve_arrival(payout_id, current_user.id, form.note.data)
    except PayoutError as error:
        return _staff_refused(payout_id, error, {"resolve": form})
    return _staff_done(payout_id, _("Your answer is recorded."))


@bp.get("/staff/payouts/<int:payout_id>/proof")
@staff_only
def proof(payout_id: int):
    """The proof of a manual transfer, as a download (staff-supplied bytes never run in our origin)."""
    payout = _staff_payout(payout_id)
    if payout.transfer is None:
        abort(404)
    try:
        data = _storage().open(payout.transfer.proof_key)
    except (FileNotFoundError, InvalidKeyError):
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = payout.transfer.proof_mime
    suffix = PROOF_SUFFIX.get(payout.transfer.proof_mime, ".bin")
    disposition = "inline" if payout.transfer.proof_mime.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="proof-{payout.request_no}{suffix}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
