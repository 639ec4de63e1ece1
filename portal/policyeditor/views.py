"""Policy editor (/staff/policy): drafts, preview, diff, publish, history, rollback."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user

from portal.accounts.guards import staff_required
from portal.accounts.models import StaffUser
from portal.accounts.roles import EDITOR_ROLES
from portal.extensions import db
from portal.notifications.labels import EVENT_TEXTS
from portal.orders.kinds import Usage
from portal.policy.kinds import RefundType
from portal.policy.labels import REFUND_TYPE_LABELS
from portal.policy.publishing import published_version
from portal.policy.texts import policy_texts
from portal.policyeditor import forms, labels, services
from portal.policyeditor.diffing import diff_versions
from portal.policyeditor.services import LANGS, PolicyEditError, Slot
from portal.rendering import redirect_to, render

bp = Blueprint("policyeditor", __name__, url_prefix="/staff/policy")

editor_required = staff_required(*EDITOR_ROLES)


@bp.context_processor
def editor_helpers() -> dict:
    return {
        "policy_staff_name": _staff_name,
        "refund_type_label": lambda t: REFUND_TYPE_LABELS[RefundType(t)],
    }


def _staff_name(staff_id: int | None) -> str:
    """A staff member's display name for the history ("—" for the system)."""
    user = db.session.get(StaffUser, staff_id) if staff_id else None
    return user.display_name if user else "—"


@bp.get("/")
@editor_required
def index():
    """What customers see now, the draft in progress, and the way to start one."""
    return render(
        "policyeditor/index.html",
        published=published_version(),
        draft=services.open_draft(),
        form=forms.ActionForm(),
    )


@bp.post("/drafts")
@editor_required
def start_draft():
    """Open the shared draft (a copy of the published version) and go to it."""
    form = forms.ActionForm()
    if not form.validate_on_submit():
        abort(400)
    draft = services.start_draft(current_user.id)
    db.session.commit()
    return redirect_to(url_for(".version", version_id=draft.id))


@bp.get("/versions/<int:version_id>")
@editor_required
def version(version_id: int):
    """One version: its rules per category × type (editable when a draft), and what to do next."""
    policy = _version_or_404(version_id)
    return render(
        "policyeditor/version.html",
        policy=policy,
        slots=services.slots(policy),
        general=services.global_numbers(policy),
        published=published_version(),
        form=forms.ActionForm(),
    )


@bp.route("/versions/<int:version_id>/slots/<category>/<refund_type>", methods=["GET", "POST"])
@editor_required
def slot(version_id: int, category: str, refund_type: str):
    """Edit one category × refund type: texts in both languages, the rule's numbers, a live preview."""
    policy = _version_or_404(version_id)
    slot = services.find_slot(policy, category, refund_type) or abort(404)
    keys = services.evidence_keys(policy, slot)
    numbers = services.slot_numbers(policy, slot)
    form_class = forms.slot_form_class(
        keys, numbers.unactivated_days is not None, services.has_trial(policy, slot)
    )
    texts = {lang: services.slot_texts(policy, lang, slot) for lang in LANGS}
    if request.method == "GET":
        form = form_class(data=forms.slot_form_data(texts, numbers))
        return _slot_page(policy, slot, form, keys)
    if policy.status != services.DRAFT:
        return _not_a_draft(policy)
    form = form_class()
    if not form.validate():
        return _slot_page(policy, slot, form, keys, status=422)
    edited_texts, edited_numbers = forms.slot_edit_from(form, keys)
    try:
        services.save_slot(policy, slot, edited_texts, edited_numbers)
    except ValueError as exc:
        db.session.rollback()
        return _slot_page(policy, slot, form, keys, status=422, rules_error=str(exc))
    db.session.commit()
    if request.headers.get("HX-Request") == "true":
        return _slot_page(policy, slot, form, keys, saved=True)
    flash(gettext("Draft saved."), "success")
    return redirect(url_for(".slot", version_id=policy.id, category=category, refund_type=refund_type), 303)


def _slot_page(
    policy, slot: Slot, form, keys: list[str], status: int = 200, rules_error: str = "", saved=False
):
    if policy.status != services.DRAFT:
        _read_only(form)
    return render(
        "policyeditor/slot.html",
        "preview",
        status=status,
        policy=policy,
        slot=slot,
        form=form,
        keys=keys,
        langs=LANGS,
        usages=[u.value for u in Usage],
        rules_error=rules_error,
        saved=saved,
        digest=services.content_digest(policy),
    )


@bp.get("/versions/<int:version_id>/preview/<category>/<refund_type>")
@editor_required
def preview(version_id: int, category: str, refund_type: str):
    """The customer's refund hint for this version, as a phone shows it (framed by the slot page)."""
    policy = _version_or_404(version_id)
    slot = services.find_slot(policy, category, refund_type) or abort(404)
    # Not ?lang=, which would also switch the editor's own language for the rest of the session.
    locale = request.args.get("locale", "zh_CN")
    if locale not in LANGS:
        abort(404)
    with force_locale(locale):
        return render(
            "policyeditor/preview_frame.html",
            policy=policy,
            slot=slot,
            assessment=services.sample_assessment(policy, slot),
            texts=policy_texts(policy, locale, slot.category.value, slot.refund_type.value),
            amount_fen=services.PREVIEW_AMOUNT_FEN,
        )


@bp.route("/versions/<int:version_id>/general", methods=["GET", "POST"])
@editor_required
def general(version_id: int):
    """The numbers every rule shares (green channel, review days) and the category summaries."""
    policy = _version_or_404(version_id)
    form_class = forms.general_form_class()
    summaries = {lang: services.summaries(policy, lang) for lang in LANGS}
    if request.method == "GET":
        form = form_class(data=forms.general_form_data(services.global_numbers(policy), summaries))
        return _general_page(policy, form)
    if policy.status != services.DRAFT:
        return _not_a_draft(policy)
    form = form_class()
    if not form.validate():
        return _general_page(policy, form, status=422)
    numbers, edited = forms.general_edit_from(form)
    try:
        services.save_general(policy, numbers, edited)
    except ValueError as exc:
        db.session.rollback()
        return render(
            "policyeditor/general.html",
            status=422,
            policy=policy,
            form=form,
            langs=LANGS,
            rules_error=str(exc),
            event_texts=EVENT_TEXTS,
        )
    db.session.commit()
    flash(gettext("Draft saved."), "success")
    return redirect_to(url_for(".version", version_id=policy.id))


def _general_page(policy, form, status: int = 200, rules_error: str = ""):
    if policy.status != services.DRAFT:
        _read_only(form)
    return render(
        "policyeditor/general.html",
        status=status,
        policy=policy,
        form=form,
        langs=LANGS,
        rules_error=rules_error,
        event_texts=EVENT_TEXTS,
    )


@bp.get("/versions/<int:version_id>/diff")
@editor_required
def diff(version_id: int):
    """What changes: a draft against the published version, or a version against its predecessor."""
    policy = _version_or_404(version_id)
    against_id = request.args.get("against", type=int)
    base = _version_or_404(against_id) if against_id else services.compare_base(policy)
    view = request.args.get("view", "side")
    return render(
        "policyeditor/diff.html",
        policy=policy,
        base=base,
        changes=diff_versions(base, policy),
        view="unified" if view == "unified" else "side",
        form=forms.PublishForm(),
    )


@bp.post("/versions/<int:version_id>/publish")
@editor_required
def publish(version_id: int):
    """Publish a draft: customers see it from now on; new cases keep it for good."""
    policy = _version_or_404(version_id)
    form = forms.PublishForm()
    if not form.validate_on_submit():
        return render(
            "policyeditor/diff.html",
            status=422,
            policy=policy,
            base=services.compare_base(policy),
            changes=diff_versions(services.compare_base(policy), policy),
            view="side",
            form=form,
        )
    try:
        services.publish(policy, current_user.id, form.note.data or "")
    except (PolicyEditError, ValueError) as exc:
        db.session.rollback()
        flash(labels.error_message(exc.code) if isinstance(exc, PolicyEditError) else str(exc), "error")
        return redirect_to(url_for(".version", version_id=version_id))
    db.session.commit()
    flash(gettext("Version %(id)s is published; customers see it now.", id=version_id), "success")
    return redirect_to(url_for(".history"))


@bp.post("/versions/<int:version_id>/discard")
@editor_required
def discard(version_id: int):
    """Throw the draft away."""
    policy = _version_or_404(version_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        services.discard_draft(policy)
    except PolicyEditError as exc:
        flash(labels.error_message(exc.code), "error")
        return redirect_to(url_for(".version", version_id=version_id))
    db.session.commit()
    flash(gettext("The draft was discarded."), "success")
    return redirect_to(url_for(".index"))


@bp.get("/history")
@editor_required
def history():
    """Every published version, newest first, with who published it and when."""
    return render(
        "policyeditor/history.html",
        versions=services.history(),
        draft=services.open_draft(),
        form=forms.ActionForm(),
    )


@bp.post("/versions/<int:version_id>/rollback")
@editor_required
def rollback(version_id: int):
    """Publish a copy of an older version (one click; the history itself is never edited)."""
    policy = _version_or_404(version_id)
    if not forms.ActionForm().validate_on_submit():
        abort(400)
    try:
        restored = services.rollback(policy, current_user.id)
    except (PolicyEditError, ValueError) as exc:
        db.session.rollback()
        flash(labels.error_message(exc.code) if isinstance(exc, PolicyEditError) else str(exc), "error")
        return redirect_to(url_for(".history"))
    db.session.commit()
    flash(
        gettext("Version %(old)s is back in force as version %(new)s.", old=version_id, new=restored.id),
        "success",
    )
    return redirect_to(url_for(".history"))


def _read_only(form) -> None:
    # A published version is shown with the same form, every field disabled.
    for bound in form:
        bound.render_kw = {**(bound.render_kw or {}), "disabled": True}


def _version_or_404(version_id: int):
    return services.get_version(version_id) or abort(404)


def _not_a_draft(policy):
    flash(labels.error_message("not_a_draft"), "error")
    return redirect_to(url_for(".version", version_id=policy.id))
