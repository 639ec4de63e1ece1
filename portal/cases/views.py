"""退款进度 (a case's live progress page), 退款记录 (all of a customer's refunds), and the customer's
actions on a case: withdraw, appeal, add the evidence a reviewer asked for.

The progress page polls itself with htmx. A poll costs one primary-key query when nothing changed:
the case's version, update time, state and deadlines make a weak ETag, and a matching If-None-Match
(sent by the polled element itself, see the template) answers 304 with `HX-Reswap: none`. A case in a
quiet state (refunded, withdrawn, rejected) renders without the polling trigger, so polling stops.
"""

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.guards import customer_required
from portal.cases import customer_actions as actions
from portal.cases import deadlines, more_evidence, partial_appeal, polling, progress
from portal.cases.dates import local_date, local_datetime, local_deadline
from portal.cases.labels import STATE_LABELS
from portal.cases.models import CaseEvent, RefundCase
from portal.cases.services import customer_cases, get_customer_case
from portal.cases.states import IllegalTransition
from portal.clock import utcnow
from portal.evidence import stores
from portal.evidence.inspect import EvidenceError
from portal.evidence.labels import refusal_message
from portal.evidence.uploads import Limits, Upload, UploadRefused
from portal.extensions import db
from portal.i18n import current_locale_code
from portal.orders.labels import PAYMENT_ROUTE
from portal.pagecache import cached_page
from portal.policy.labels import REFUND_TYPE_LABELS
from portal.policy.publishing import texts_for_case
from portal.rendering import redirect_to, render, wants_fragment

bp = Blueprint("cases", __name__)


@bp.app_template_filter("shanghai_datetime")
def shanghai_datetime_filter(at: datetime | None) -> str:
    """A naive UTC instant as Shanghai date and time, in the page's language."""
    return local_datetime(at, current_locale_code(), with_year=True) if at else ""


@bp.app_template_filter("shanghai_date")
def shanghai_date_filter(at: datetime | None) -> str:
    """A naive UTC instant's Shanghai date, in the page's language."""
    return local_date(at, current_locale_code(), with_year=True) if at else ""


@bp.app_template_filter("shanghai_deadline")
def shanghai_deadline_filter(at: datetime | None) -> str:
    """A deadline: the date alone when it ends a day, else date and time."""
    return local_deadline(at, current_locale_code(), with_year=True) if at else ""


# -- 退款进度 -----------------------------------------------------------------------------------------------


@bp.record_once
def _install_fast_lane(state) -> None:
    polling.install(state.app)


@bp.get("/cases/<int:case_id>", endpoint="progress")
@cached_page
def progress_page(case_id: int) -> Response:
    """The case's timeline; to htmx, the live fragment (unchanged polls are answered by cases.polling)."""
    etag = None
    if wants_fragment():  # the full page has no validator: its stamp is the case itself, loaded below
        stamp = db.session.execute(
            select(*polling.STAMP_COLUMNS).where(
                RefundCase.id == case_id, RefundCase.customer_id == current_user.id
            )
        ).first()
        if stamp is None:
            abort(404)
        etag = polling.etag_for(case_id, stamp, utcnow(), current_locale_code())
        if request.if_none_match.contains_weak(etag):
            # Normally answered by the fast lane already; kept so the app alone is still correct.
            return Response(status=304, headers=polling.not_modified_headers(etag, stamp.updated_at))
    case = get_customer_case(current_user.id, case_id)
    if case is None:
        abort(404)
    response = _render_progress(case)
    if etag is not None:
        response.set_etag(etag, weak=True)
    response.last_modified = case.updated_at.replace(tzinfo=UTC)
    # The polled fragment is kept by the browser alone, to be revalidated (304); the full page never.
    response.headers["Cache-Control"] = "private, no-cache" if wants_fragment() else "no-store"
    return response


def _render_progress(case: RefundCase, status: int = 200, errors: dict | None = None, form=None) -> Response:
    now, locale = utcnow(), current_locale_code()
    events = actions.case_events(case.id)
    labels = progress.requested_item_labels(case, locale) if case.requested_items else []
    allowed = actions.permitted(
        case, events, now, actions.newer_case_open(case), actions.partly_appealable(case)
    )
    view = progress.build_progress(case, events, now, labels, allowed)
    stamp = polling.etag_for(case.id, case, now, locale)
    return render(
        "cases/progress.html",
        "live",
        status=status,
        case=case,
        progress=view,
        etag=f'W/"{stamp}"',
        poll_seconds=current_app.config["PROGRESS_POLL_SECONDS"],
        requested=list(zip(case.requested_items or [], labels, strict=False)),
        evidence=[f for f in case.evidence if f.removed_at is None],
        fresh_evidence=actions.fresh_evidence(case) if actions.Action.ADD_EVIDENCE in view.actions else [],
        policy=None if wants_fragment() else texts_for_case(case, locale),  # the page shows it, polls do not
        errors=errors or {},
        form=form or {},
        Action=actions.Action,
        appeal_case=partial_appeal.appeal_against(case.id) if partial_appeal.partly_approved(case) else None,
        **_label_maps(),
    )


# -- 退款记录 -----------------------------------------------------------------------------------------------


@bp.get("/refunds")
@cached_page
def records() -> Response:
    """Every refund of the customer: state, amount, route, and when the money arrives or arrived."""
    cases = customer_cases(current_user.id)
    events: dict[int, list[CaseEvent]] = {case.id: [] for case in cases}
    if cases:
        rows = db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id.in_(list(events))).order_by(CaseEvent.seq)
        )
        for event in rows:
            events[event.case_id].append(event)
    now = utcnow()
    rows = [(case, progress.build_progress(case, events[case.id], now)) for case in cases]
    return render("cases/records.html", rows=rows, **_label_maps())


def _label_maps() -> dict:
    return {
        "type_labels": REFUND_TYPE_LABELS,
        "route_labels": PAYMENT_ROUTE,
        "state_labels": STATE_LABELS,
    }


# -- actions ------------------------------------------------------------------------------------------------


def _own_case_or_404(case_id: int) -> RefundCase:
    case = get_customer_case(current_user.id, case_id)
    if case is None:
        abort(404)
    return case


def _allowed(case: RefundCase) -> frozenset[actions.Action]:
    return actions.allowed_actions(case, utcnow())


def _changed_meanwhile(case_id: int) -> Response:
    db.session.rollback()
    flash(_("Your refund request changed in the meantime. Here is where it stands now."), "error")
    return redirect_to(url_for("cases.progress", case_id=case_id))


@bp.post("/cases/<int:case_id>/withdraw")
@customer_required
def withdraw(case_id: int) -> Response:
    """Withdraw the request before it is decided."""
    case = _own_case_or_404(case_id)
    if actions.Action.WITHDRAW not in _allowed(case):
        return _changed_meanwhile(case_id)
    try:
        actions.withdraw(case, current_user.id, _reason_field(200))
        db.session.commit()
    except (StaleDataError, IllegalTransition):
        return _changed_meanwhile(case_id)
    flash(_("Your refund request was withdrawn."), "success")
    return redirect_to(url_for("cases.progress", case_id=case_id))


@bp.post("/cases/<int:case_id>/appeal")
@customer_required
def appeal(case_id: int) -> Response:
    """申诉: disagree with a rejection or a partial approval, or complain that the review is late; a senior
    answers in 24 hours. A repeat of an appeal against a partial approval lands on that appeal's page."""
    case = _own_case_or_404(case_id)
    if (lodged := partial_appeal.appeal_against(case.id)) is not None:
        return redirect_to(url_for("cases.progress", case_id=lodged.id))
    if actions.Action.APPEAL not in _allowed(case):
        return _changed_meanwhile(case_id)
    text = (request.form.get("reason") or "").strip()
    if not actions.APPEAL_MIN <= len(text) <= actions.APPEAL_MAX:
        message = _(
            "Please tell us in %(min)s to %(max)s characters why you appeal.",
            min=actions.APPEAL_MIN,
            max=actions.APPEAL_MAX,
        )
        return _render_progress(case, status=422, errors={"reason": message}, form={"reason": text})
    try:
        appealed = actions.appeal(case, current_user.id, text, utcnow())
        db.session.commit()
    except (StaleDataError, IllegalTransition, IntegrityError, partial_appeal.NotAppealable):
        # IntegrityError: a new request for the order was opened meanwhile (one open case per order), or
        # the same appeal was sent twice at once (one appeal per case: the repeat lands on it).
        db.session.rollback()
        if (lodged := partial_appeal.appeal_against(case_id)) is not None:
            return redirect_to(url_for("cases.progress", case_id=lodged.id))
        return _changed_meanwhile(case_id)
    flash(
        _(
            "Your appeal was sent. A senior reviewer will answer within %(hours)s hours.",
            hours=deadlines.PROMISED_HOURS["appeal"],
        ),
        "success",
    )
    return redirect_to(url_for("cases.progress", case_id=appealed.id))


@bp.post("/cases/<int:case_id>/evidence")
@customer_required
def add_evidence(case_id: int) -> Response:
    """补充材料: store one file for an item the reviewer asked for."""
    case = _own_case_or_404(case_id)
    if actions.Action.ADD_EVIDENCE not in _allowed(case):
        return _changed_meanwhile(case_id)
    item = request.form.get("item", "")
    # The camera and the gallery are two inputs of the form: the first with a file counts.
    file = next((f for f in request.files.getlist("file") if f.filename), None)
    upload = Upload(file.read(), file.filename) if file is not None else None
    limits = Limits.from_settings(current_app.config)
    try:
        stored = more_evidence.add_file(stores.get("evidence"), case, item, upload, limits)
        db.session.commit()
    except (EvidenceError, UploadRefused) as exc:
        db.session.rollback()
        if (message := _refusal(exc)) is None:  # the case stopped taking files meanwhile
            return _changed_meanwhile(case_id)
        return _evidence_error(case, message, item)
    except StaleDataError:
        return _changed_meanwhile(case_id)
    flash(_("%(name)s was added.", name=stored.original_name or _("The file")), "success")
    return redirect_to(url_for("cases.progress", case_id=case_id) + "#add-evidence")


def _refusal(exc: EvidenceError | UploadRefused) -> str | None:
    if isinstance(exc, UploadRefused) and exc.code == "bad_item":
        return _("Choose what this file shows.")
    if isinstance(exc, UploadRefused) and exc.code == "no_file":
        return _("Please choose a file to upload.")
    return refusal_message(exc)


def _evidence_error(case: RefundCase, message: str, item: str) -> Response:
    return _render_progress(case, status=422, errors={"file": message}, form={"item": item})


@bp.post("/cases/<int:case_id>/evidence/done")
@customer_required
def evidence_done(case_id: int) -> Response:
    """Send the added evidence back for review: every requested item needs a file added since the request."""
    case = _own_case_or_404(case_id)
    if actions.Action.ADD_EVIDENCE not in _allowed(case):
        return _changed_meanwhile(case_id)
    try:
        actions.send_evidence_back(case, current_user.id, utcnow())
        db.session.commit()
    except actions.MissingEvidence:
        db.session.rollback()
        return _evidence_error(case, _("Please add a file for every item the reviewer asked for."), "")
    except (StaleDataError, IllegalTransition):
        return _changed_meanwhile(case_id)
    flash(_("Thank you. Your evidence was sent to the reviewer."), "success")
    return redirect_to(url_for("cases.progress", case_id=case_id))


def _reason_field(limit: int) -> str:
    return (request.form.get("reason") or "").strip()[:limit]
