"""Staff area (/staff): the review queue, the case review page and decisions (files: portal.evidence).

Every route checks the role on the server. Decisions are plain form POSTs (a confirmation step,
then 303 back to the case); with htmx the same endpoints answer the case body as a fragment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal.accounts.guards import staff_required
from portal.accounts.models import StaffRole
from portal.accounts.roles import REVIEW_ROLES
from portal.cases import risk
from portal.cases.labels import flag_message, reason_label
from portal.cases.models import RefundCase
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import current_locale_code
from portal.money import format_fen
from portal.orders import labels as order_labels
from portal.policy.labels import AMOUNT_METHOD_LABELS, REFUND_TYPE_LABELS
from portal.rendering import redirect_to, render, wants_fragment
from portal.staff import casefile, labels, services
from portal.staff.forms import CONFIRMED_ACTIONS, FORMS, VersionedForm
from portal.staff.labels import ACTION_DONE, DECISION_ERRORS, STATE
from portal.staff.navigation import staff_links
from portal.staff.review import STAFF_STATES, QueueFilter, count_queue, page_of, select_queue

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.add_app_template_global(staff_links)  # the menu in base.html

SENIOR_ACTIONS = frozenset({"assign", "arbitration_outcome", "return_to_review"})
PER_PAGE = 50
ERROR_STATUS = {"stale": 409, "not_allowed": 409, "senior_only": 403, "own_decision": 403}

review_required = staff_required(*REVIEW_ROLES)


@bp.app_template_global()
def staff_state_label(state) -> str:
    """A case state's name on staff pages."""
    return str(STATE.get(state, state))


@bp.app_template_global()
def event_label(action: str) -> str:
    """What a log entry's action is called on staff pages."""
    return labels.event_label(action)


@bp.app_template_global()
def actor_label(kind: str) -> str:
    """Customer, system or staff."""
    return str(labels.ACTORS.get(kind, kind))


@bp.app_template_global()
def risk_flag_message(flag: dict) -> str:
    """Why a risk flag was raised."""
    return flag_message(flag)


# -- the queue -------------------------------------------------------------------------------------


@bp.get("/")
@staff_required()
def queue():
    """Cases waiting for staff, green channel first, then by deadline; filters and counts."""
    if not current_user.has_role(*REVIEW_ROLES):
        # Policy editors land here after signing in; their work is elsewhere.
        return redirect(url_for("policyeditor.index"))
    now = utcnow()
    filt = QueueFilter.from_args(request.args)
    items = casefile.queue_items()
    selected = select_queue(items, filt, now, current_user.id)
    rows, page, pages = page_of(selected, request.args.get("page", 1, type=int) or 1, PER_PAGE)
    return render(
        "staff/queue.html",
        block="results",
        filt=filt,
        rows=rows,
        total=len(selected),
        page=page,
        pages=pages,
        counts=count_queue(items, now, current_user.id),
        now=now,
        names=casefile.staff_names(r.assigned_to_id for r in rows),
        states=STAFF_STATES,
        categories=order_labels.CATEGORY,
        refund_types=REFUND_TYPE_LABELS,
    )


# -- the case review page --------------------------------------------------------------------------


@dataclass
class Confirmation:
    """What the reviewer is about to do, shown before it is done."""

    action: str
    title: str
    lines: list[tuple[str, str]] = field(default_factory=list)


@bp.get("/cases/<int:case_id>")
@review_required
def case(case_id: int):
    """The review page: facts, history, evidence, the policy's suggestion, the log and the decisions."""
    return _case_page(_case_or_404(case_id))


@bp.post("/cases/<int:case_id>/<action>")
@review_required
def act(case_id: int, action: str):
    """Claim, assign or decide; decisions that reach the customer are confirmed first."""
    action = action.replace("-", "_")
    if action not in FORMS:
        abort(404)
    if action in SENIOR_ACTIONS and not current_user.has_role(StaffRole.SENIOR):
        abort(403)
    the_case = _case_or_404(case_id)
    form = _bound_form(action, the_case)
    if not form.validate():
        return _case_page(the_case, status=422, forms={action: form}, focus=action)
    if form.version.data != the_case.version:
        return _refused(the_case, action, form, services.DecisionError("stale"))
    if action in CONFIRMED_ACTIONS and not form.is_confirmed:
        return _case_page(the_case, forms={action: form}, confirm=_confirmation(action, the_case, form))
    try:
        _execute(action, the_case, form)
    except services.DecisionError as error:
        return _refused(the_case, action, form, error)
    done = ACTION_DONE[action]
    if wants_fragment():
        return _case_page(the_case, notice=str(done))
    flash(str(done), "success")
    return redirect_to(url_for(".case", case_id=the_case.id))


def _execute(action: str, the_case: RefundCase, form) -> None:
    staff, version = current_user, form.version.data
    note = (getattr(form, "note", None) and form.note.data or "").strip()
    if action == "claim":
        services.claim(the_case, version, staff)
    elif action == "assign":
        services.assign(the_case, version, staff, form.assignee.data)
    elif action == "green_channel":
        services.mark_urgent(the_case, version, staff)
    elif action == "approve":
        services.approve(the_case, version, staff, services.Approval(form.chosen_fen, note))
    elif action == "reject":
        services.reject(the_case, version, staff, services.Rejection(form.reason.data, note))
    elif action == "request_evidence":
        allowed = {choice.value for choice in form.items.choices}
        request_ = services.EvidenceRequest(tuple(form.items.data), form.message.data.strip())
        services.request_evidence(the_case, version, staff, request_, allowed)
    elif action == "escalate":
        services.escalate(the_case, version, staff, note)
    elif action == "arbitration_outcome":
        approval = services.Approval(form.chosen_fen, note) if form.outcome.data == "approve" else None
        services.record_arbitration(the_case, version, staff, form.reference.data.strip(), approval, note)
    elif action == "return_to_review":
        services.return_to_review(the_case, version, staff, note)


def _refused(the_case: RefundCase, action: str, form, error: services.DecisionError):
    """Re-render the case with the reason; a stale form is replaced by fresh ones (the case moved on)."""
    message = str(DECISION_ERRORS.get(error.code, error.code)) % {
        k: format_fen(v) if k == "cap" else v for k, v in error.params.items()
    }
    status = ERROR_STATUS.get(error.code, 422)
    if wants_fragment():
        status = 422  # htmx swaps 422 answers only; the message must be seen
    db.session.rollback()
    if error.code in ("stale", "not_allowed"):
        return _case_page(the_case, status=status, message=message)
    if error.code.startswith("amount") and hasattr(form, "amount"):
        form.amount.errors = [*form.amount.errors, message]
    return _case_page(the_case, status=status, forms={action: form}, message=message, focus=action)


def _confirmation(action: str, the_case: RefundCase, form) -> Confirmation:
    number = the_case.number
    if action == "approve":
        amount = form.chosen_fen or services.decision_cap(the_case)
        lines = [(_("Amount"), format_fen(amount)), (_("Message to the customer"), form.note.data or "—")]
        return Confirmation(
            action,
            _(
                "Approve a refund of %(amount)s for case %(number)s?",
                amount=format_fen(amount),
                number=number,
            ),
            lines,
        )
    if action == "reject":
        lines = [
            (_("Reason"), reason_label(form.reason.data)),
            (_("Explanation the customer reads"), form.note.data),
        ]
        return Confirmation(action, _("Reject case %(number)s?", number=number), lines)
    if action == "request_evidence":
        chosen = {choice.value: choice.label for choice in form.items.choices}
        items = "; ".join(str(chosen.get(k, k)) for k in form.items.data)
        lines = [(_("What is missing"), items), (_("Message to the customer"), form.message.data)]
        return Confirmation(
            action, _("Ask the customer of case %(number)s for more evidence?", number=number), lines
        )
    if action == "escalate":
        return Confirmation(
            action,
            _("Send case %(number)s to third-party arbitration?", number=number),
            [(_("Why the responsibility is unclear"), form.note.data)],
        )
    if action == "arbitration_outcome":
        approve = form.outcome.data == "approve"
        amount = form.chosen_fen or services.decision_cap(the_case)
        lines = [
            (
                _("The arbitrator decided"),
                _("Refund %(amount)s", amount=format_fen(amount)) if approve else _("No refund"),
            ),
            (_("Arbitration reference"), form.reference.data),
            (_("Explanation the customer reads"), form.note.data),
        ]
        return Confirmation(
            action, _("Record the arbitrator's outcome for case %(number)s?", number=number), lines
        )
    return Confirmation(
        action,
        _("Send case %(number)s back for a new review?", number=number),
        [(_("Why the case needs a new review"), form.note.data)],
    )


def _case_or_404(case_id: int) -> RefundCase:
    the_case = db.session.get(RefundCase, case_id)
    if the_case is None:
        abort(404)
    return the_case


def _new_form(action: str, the_case: RefundCase, formdata=None) -> VersionedForm:
    """The action's form, with its choices; unbound forms start at the case's current version."""
    form_class = FORMS[action]
    if formdata is None:
        form = form_class(formdata=None, prefix=action, version=the_case.version)
    else:
        form = form_class(formdata=formdata, prefix=action)
    if action == "request_evidence":
        labels = casefile.checklist_labels(the_case, casefile.policy_of(the_case), current_locale_code())
        form.items.choices = [SelectChoice(key, label) for key, label in labels.items()] + [
            SelectChoice(services.OTHER_ITEM, _("Something else (see the message)"))
        ]
    elif action == "assign":
        form.assignee.choices = [
            SelectChoice(p.id, p.display_name) for p in services.assignable_staff(the_case)
        ]
    return form


def _bound_form(action: str, the_case: RefundCase) -> VersionedForm:
    return _new_form(action, the_case, formdata=request.form)


def _case_page(
    the_case: RefundCase,
    status: int = 200,
    forms: dict | None = None,
    confirm: Confirmation | None = None,
    message: str | None = None,
    notice: str | None = None,
    focus: str | None = None,
):
    now = utcnow()
    version = casefile.policy_of(the_case)
    lang = current_locale_code()
    labels = casefile.checklist_labels(the_case, version, lang)
    actions = services.available_actions(the_case, current_user)
    all_forms = {action: _new_form(action, the_case) for action in actions}
    all_forms.update(forms or {})
    history = casefile.history(the_case, now)
    events = casefile.events(the_case)
    names = casefile.staff_names(
        [the_case.assigned_to_id, the_case.decided_by_id]
        + [e.actor_id for e in events if e.actor_kind == "staff"]
    )
    return render(
        "staff/case.html",
        block="case_body",
        status=status,
        case=the_case,
        order=the_case.order,
        customer=the_case.customer,
        now=now,
        overdue=services.overdue_by(the_case, now),
        policy=version,
        suggestion=casefile.suggestion(the_case, version, now),
        checklist=labels,
        evidence=casefile.evidence(the_case, labels),
        history=history,
        events=events,
        names=names,
        actions=actions,
        forms=all_forms,
        confirm=confirm,
        message=message,
        notice=notice,
        focus=focus,
        cap_fen=services.decision_cap(the_case),
        requested_labels=[labels.get(k, k) for k in the_case.requested_items or []],
        order_labels=order_labels,
        refund_types=REFUND_TYPE_LABELS,
        amount_methods=AMOUNT_METHOD_LABELS,
        reason_label=reason_label,
        mask=risk.mask,
    )
