"""申请退款: the refund wizard (type → reason → evidence → review); its files are served by portal.evidence.

Every step is a plain form that POSTs and redirects; with htmx the same endpoints answer fragments
(the policy hint, a step's form with its errors, one checklist item after an upload).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from portal.accounts.guards import customer_required
from portal.cases.links import case_page_url
from portal.cases.models import RefundDraft
from portal.cases.services import CaseError, case_by_key, order_cases
from portal.clock import utcnow
from portal.evidence import inspect, stores, uploads
from portal.evidence.labels import refusal_message
from portal.evidence.models import EvidenceFile
from portal.evidence.storage import Storage
from portal.extensions import db
from portal.i18n import current_locale_code
from portal.orders.models import Order, get_customer_order
from portal.pagecache import cached_page
from portal.policy import engine
from portal.policy import labels as policy_labels
from portal.policy.kinds import RefundType
from portal.policy.rules import EvidenceItem
from portal.policy.texts import PolicyTexts
from portal.refunds import delivery, drafts, services
from portal.refunds.forms import REASON_MAX, DetailsForm, SubmitForm, TypeForm, fen_to_yuan_text
from portal.refunds.labels import WIZARD_ERRORS, amount_error_message, case_error_message
from portal.rendering import redirect_to, render, wants_fragment

bp = Blueprint("refunds", __name__)


@bp.app_context_processor
def policy_vocabulary() -> dict:
    """Labels the policy hint partial needs (also used by the policy editor's preview)."""
    return {"policy_labels": policy_labels}


@dataclass
class Wizard:
    """Everything a wizard step needs about the order, the policy and the draft."""

    order: Order
    policy: services.OrderPolicy
    draft: RefundDraft | None
    lang: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def chosen(self) -> RefundType | None:
        """The draft's type, if it is still offered for this order."""
        chosen = self.draft.refund_type if self.draft else None
        return chosen if chosen in self.policy.assessments else None

    def assessment(self, refund_type: RefundType | None) -> engine.Assessment | None:
        return self.policy.assessments.get(refund_type) if refund_type else None

    def texts(self, refund_type: RefundType) -> PolicyTexts:
        return self.policy.texts(self.lang, self.order.category, refund_type)

    def details_done(self) -> bool:
        """A reason (unless the type needs none, 无理由) and an amount are in the draft."""
        if not (self.draft and self.draft.amount_fen):
            return False
        assessment = self.assessment(self.chosen)
        return bool(self.draft.reason_text) or (assessment is not None and not assessment.reason_required)


def _wizard(order_id: int) -> Wizard:
    """Load the customer's order (404 if not theirs) with the policy and their draft."""
    order = get_customer_order(current_user.id, order_id)
    if order is None:
        abort(404)
    cases = order_cases(order.id)
    if cases.open_case_id is not None:
        # One open case per order: the wizard gives way to the case's page.
        abort(redirect_to(case_page_url(cases.open_case_id)))
    return Wizard(
        order=order,
        policy=services.order_policy(order, utcnow(), cases),
        draft=drafts.find_draft(current_user.id, order.id),
        lang=current_locale_code(),
    )


def _step_url(endpoint: str, wiz: Wizard, anchor: str | None = None) -> str:
    return url_for(endpoint, order_id=wiz.order.id, _anchor=anchor)


def _require(wiz: Wizard, details: bool = False) -> engine.Assessment:
    """The chosen type's assessment; earlier steps not done yet send the customer back to them."""
    assessment = wiz.assessment(wiz.chosen)
    if assessment is None or not assessment.eligible:
        flash(str(WIZARD_ERRORS["type_first"]), "error")
        abort(redirect_to(_step_url("refunds.choose_type", wiz)))
    if details and not wiz.details_done():
        flash(str(WIZARD_ERRORS["details_first"]), "error")
        abort(redirect_to(_step_url("refunds.reason", wiz)))
    return assessment


# Step 1: the refund type, with the policy hint for the chosen one.


@bp.get("/orders/<int:order_id>/refund")
@cached_page
def choose_type(order_id: int):
    """Step 1; with htmx and ?refund_type= only the policy hint for that type."""
    wiz = _wizard(order_id)
    selected = services.parse_type(request.args.get("refund_type")) or wiz.chosen
    if selected not in wiz.policy.assessments:
        selected = None
    return _type_page(wiz, selected, block="hint" if request.args.get("refund_type") else None)


@bp.post("/orders/<int:order_id>/refund")
@customer_required
def save_type(order_id: int):
    """Step 1 sent: remember the type; "Show the policy" (no JavaScript) re-shows the page with its hint."""
    wiz = _wizard(order_id)
    form = TypeForm()
    selected = services.parse_type(form.refund_type.data)
    assessment = wiz.assessment(selected)
    if not form.validate() or assessment is None:
        wiz.errors["refund_type"] = [str(WIZARD_ERRORS["choose_type"])]
        return _type_page(wiz, None, block="step_form", status=422)
    if not assessment.eligible:
        wiz.errors["refund_type"] = [str(policy_labels.reason_message(assessment.reason_code))]
        return _type_page(wiz, selected, block="step_form", status=422)
    wiz.draft = drafts.open_draft(current_user.id, wiz.order)
    drafts.choose_type(wiz.draft, selected)
    db.session.commit()
    if request.form.get("action") == "show_policy":
        return _type_page(wiz, selected, block="step_form")
    return redirect_to(_step_url("refunds.reason", wiz))


def _type_page(wiz: Wizard, selected: RefundType | None, block: str | None, status: int = 200):
    assessment = wiz.assessment(selected)
    return render(
        "refunds/type.html",
        block,
        status=status,
        wiz=wiz,
        order=wiz.order,
        selected=selected,
        assessment=assessment,
        texts=wiz.texts(selected) if selected else None,
    )


# Step 2: the reason and the amount.


@bp.route("/orders/<int:order_id>/refund/reason", methods=["GET", "POST"])
@cached_page
def reason(order_id: int):
    """Step 2: a required, length-limited reason, and the amount (suggested; only lower is allowed)."""
    wiz = _wizard(order_id)
    assessment = _require(wiz)
    draft = wiz.draft
    if request.method == "GET":
        form = DetailsForm(
            formdata=None,
            reason_required=assessment.reason_required,
            reason=draft.reason_text,
            amount=fen_to_yuan_text(draft.amount_fen or assessment.suggested_fen),
        )
        return _reason_page(wiz, form, assessment)
    form = DetailsForm(reason_required=assessment.reason_required)
    if form.validate():
        amount_fen = form.amount_fen()
        error = engine.validate_amount(assessment, amount_fen) if amount_fen is not None else "bad_amount"
        if error is None:
            drafts.save_details(draft, form.reason.data, amount_fen)
            db.session.commit()
            return redirect_to(_step_url("refunds.evidence", wiz))
        form.amount.errors = [amount_error_message(error, engine.max_request_fen(assessment))]
    return _reason_page(wiz, form, assessment, status=422)


@bp.post("/orders/<int:order_id>/refund/autosave")
@customer_required
def autosave(order_id: int):
    """htmx, while typing: keep the reason (and a valid amount) in the draft; nothing is shown."""
    wiz = _wizard(order_id)
    assessment = _require(wiz)
    form = DetailsForm()
    text = (form.reason.data or "").strip()
    if len(text) <= REASON_MAX:
        wiz.draft.reason_text = text
    amount_fen = form.amount_fen()
    if amount_fen is not None and engine.validate_amount(assessment, amount_fen) is None:
        wiz.draft.amount_fen = amount_fen
    db.session.commit()
    return "", 204


def _reason_page(wiz: Wizard, form: DetailsForm, assessment: engine.Assessment, status: int = 200):
    return render(
        "refunds/reason.html",
        "step_form",
        status=status,
        wiz=wiz,
        order=wiz.order,
        form=form,
        assessment=assessment,
        max_fen=engine.max_request_fen(assessment),
    )


# Step 3: the evidence checklist.


@bp.get("/orders/<int:order_id>/refund/evidence")
@cached_page
def evidence(order_id: int):
    """Step 3: each checklist item with its own upload, the files already sent, and a tick when done."""
    wiz = _wizard(order_id)
    assessment = _require(wiz, details=True)
    return _evidence_page(wiz, assessment)


@bp.post("/orders/<int:order_id>/refund/evidence")
@customer_required
def upload(order_id: int):
    """Store the files sent for one checklist item; each refused file says why, the others are kept."""
    wiz = _wizard(order_id)
    assessment = _require(wiz, details=True)
    item_key = request.form.get("item", "")
    item = next((i for i in assessment.checklist if i.key == item_key), None)
    if item is None:
        return _evidence_error(wiz, assessment, item_key, WIZARD_ERRORS["bad_item"])
    files = [f for f in request.files.getlist("file") if f and (f.filename or f.content_length)]
    if not files:
        return _evidence_error(wiz, assessment, item_key, WIZARD_ERRORS["no_file"])
    try:
        uploads.check_batch(len(files), uploads.Limits.from_settings(current_app.config))
    except uploads.UploadRefused as exc:
        return _evidence_error(wiz, assessment, item_key, refusal_message(exc))
    for file in files:
        _store(wiz, item, file)
    return _after_evidence_change(wiz, assessment, item_key)


@bp.post("/orders/<int:order_id>/refund/evidence/<public_id>/remove")
@customer_required
def remove_file(order_id: int, public_id: str):
    """Take one uploaded file off the request before submitting."""
    wiz = _wizard(order_id)
    assessment = _require(wiz, details=True)
    evidence_file = _draft_file(wiz, public_id)
    uploads.remove_from_draft(evidence_file)
    db.session.commit()
    return _after_evidence_change(wiz, assessment, evidence_file.checklist_key)


@bp.post("/orders/<int:order_id>/refund/evidence/<public_id>/replace")
@customer_required
def replace_file(order_id: int, public_id: str):
    """Swap one uploaded file for another; the old one goes only once the new one is stored."""
    wiz = _wizard(order_id)
    assessment = _require(wiz, details=True)
    old = _draft_file(wiz, public_id)
    item = next((i for i in assessment.checklist if i.key == old.checklist_key), None)
    if item is None:
        abort(404)
    file = request.files.get("file")
    if not file or not (file.filename or file.content_length):
        return _evidence_error(wiz, assessment, old.checklist_key, WIZARD_ERRORS["no_file"])
    new = _store(wiz, item, file)
    if new is not None and new.id != old.id:
        uploads.remove_from_draft(old)
        db.session.commit()
    return _after_evidence_change(wiz, assessment, old.checklist_key)


def _store(wiz: Wizard, item: EvidenceItem, file: FileStorage) -> EvidenceFile | None:
    """Store one file and commit, so a later refusal in the same request loses nothing."""
    limits = uploads.Limits.from_settings(current_app.config)
    data = file.stream.read(limits.max_bytes + 1)  # one byte over is enough to say "too large"
    upload = uploads.Upload(data, file.filename or "")
    try:
        stored = uploads.store_for_draft(_storage(), wiz.draft, item.key, upload, limits, item.kinds)
    except (inspect.EvidenceError, uploads.UploadRefused) as exc:
        db.session.rollback()
        message = _refusal_message(exc)
        name = uploads.clean_filename(file.filename or "")
        wiz.errors.setdefault(item.key, []).append(f"{name}: {message}" if name else message)
        return None
    db.session.commit()
    return stored


def _refusal_message(exc: inspect.EvidenceError | uploads.UploadRefused) -> str:
    return refusal_message(exc) or str(WIZARD_ERRORS.get(exc.code, WIZARD_ERRORS["upload_failed"]))


def _draft_file(wiz: Wizard, public_id: str) -> EvidenceFile:
    evidence_file = uploads.get_file(public_id)
    if evidence_file is None or wiz.draft is None or evidence_file.draft_id != wiz.draft.id:
        abort(404)
    return evidence_file


def _evidence_error(wiz: Wizard, assessment: engine.Assessment, item_key: str, message) -> object:
    wiz.errors.setdefault(item_key, []).append(str(message))
    return _after_evidence_change(wiz, assessment, item_key)


def _after_evidence_change(wiz: Wizard, assessment: engine.Assessment, item_key: str):
    """htmx/XHR: the item's fragment; plain forms: back to the checklist (or the page with the errors)."""
    status = 422 if wiz.errors else 200
    if not wiz.errors and not wants_fragment():
        return redirect(_step_url("refunds.evidence", wiz, anchor=f"item-{item_key}"), 303)
    return _evidence_page(wiz, assessment, status=status, item_key=item_key)


def _rows(wiz: Wizard, assessment: engine.Assessment) -> list[services.ChecklistRow]:
    texts = wiz.texts(assessment.refund_type)
    return services.checklist_rows(assessment, texts, drafts.draft_files(wiz.draft))


def _evidence_page(wiz: Wizard, assessment: engine.Assessment, status: int = 200, item_key: str = ""):
    rows = _rows(wiz, assessment)
    row = next((r for r in rows if r.item.key == item_key), None)
    return render(
        "refunds/evidence.html",
        "evidence_item" if row is not None else "checklist",
        status=status,
        wiz=wiz,
        order=wiz.order,
        assessment=assessment,
        rows=rows,
        row=row,
        max_bytes=current_app.config["MAX_FILE_BYTES"],
        max_mb=_megabytes(current_app.config["MAX_FILE_BYTES"]),
        accept_for=_accept_for,
        accepted_types=", ".join(inspect.accepted_types()),
    )


def _megabytes(size: int) -> str:
    """10485760 → "10", as the upload error messages write limits."""
    mb = size / (1024 * 1024)
    return f"{mb:g}" if mb >= 1 else f"{mb:.2g}"


def _accept_for(kinds: tuple[str, ...]) -> str:
    """The file picker's filter for a checklist item (a hint to the phone; the server checks the bytes)."""
    mimes = inspect.accept_attribute().split(",")
    if "pdf" not in kinds:
        mimes = [m for m in mimes if m != "application/pdf"]
    if "image" not in kinds:
        mimes = [m for m in mimes if m == "application/pdf"]
    return ",".join(mimes)


def _storage() -> Storage:
    return stores.get("evidence")


# Step 4: review and submit.


@bp.get("/orders/<int:order_id>/refund/review")
@cached_page
def review(order_id: int):
    """Step 4: everything entered, what is still missing, and the submit button."""
    wiz = _wizard(order_id)
    assessment = _require(wiz, details=True)
    return _review_page(wiz, assessment)


@bp.post("/orders/<int:order_id>/refund/one-tap")
@customer_required
def one_tap(order_id: int):
    """一键退款 after the platform failed the delivery; otherwise the wizard says what is possible."""
    try:  # the CSRF check is the app's, as for every POST
        case = delivery.refund_in_one_tap(current_user.id, order_id)
    except CaseError:
        db.session.rollback()
        case = None
    if case is None:
        return redirect_to(url_for("refunds.choose_type", order_id=order_id))
    return redirect_to(case_page_url(case.id))


@bp.post("/orders/<int:order_id>/refund/submit")
@customer_required
def submit(order_id: int):
    """Open the case; the same form sent twice lands on the same case."""
    form = SubmitForm()
    key = form.idempotency_key.data if form.validate() else None
    if key and (existing := case_by_key(key)) is not None and existing.customer_id == current_user.id:
        return redirect_to(case_page_url(existing.id))
    wiz = _wizard(order_id)
    assessment = _require(wiz, details=True)
    if key != wiz.draft.idempotency_key:
        return _review_page(wiz, assessment, error=WIZARD_ERRORS["stale_form"], status=422)
    keys = {item.key for item in assessment.checklist}
    try:
        case = services.submit_draft(wiz.draft, current_user.id, key, keys)
    except CaseError as exc:
        db.session.rollback()
        if (existing := case_by_key(key)) is not None and existing.customer_id == current_user.id:
            return redirect_to(case_page_url(existing.id))  # the same form sent twice at once: one case
        wiz.draft = drafts.find_draft(current_user.id, wiz.order.id)
        if wiz.draft is None:
            abort(redirect_to(_step_url("refunds.choose_type", wiz)))
        error = case_error_message(exc.code, exc.params.get("max_fen"))
        return _review_page(wiz, assessment, error=error, status=422)
    return redirect_to(case_page_url(case.id))


def _review_page(wiz: Wizard, assessment: engine.Assessment, error=None, status: int = 200):
    rows = _rows(wiz, assessment)
    return render(
        "refunds/review.html",
        "step_form",
        status=status,
        wiz=wiz,
        order=wiz.order,
        assessment=assessment,
        rows=rows,
        missing=[r for r in rows if r.missing],
        form=SubmitForm(formdata=None, idempotency_key=wiz.draft.idempotency_key),
        error=error,
    )
