"""联系客服 for customers (/support) and the service desk for staff (/staff/support).

Every page works as plain forms; with htmx the thread polls itself and an unchanged thread answers 304
(`HX-Reswap: none`), the same discipline as 退款进度.
"""

from collections.abc import Callable

from flask import Response, abort, current_app, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import shell
from portal.accounts.guards import customer_required, staff_required
from portal.accounts.roles import EDITOR_ROLES, REVIEW_ROLES, SENIOR_ROLES
from portal.cases import deadlines
from portal.cases.models import RefundCase
from portal.clock import utcnow
from portal.evidence import stores
from portal.evidence.inspect import EvidenceError
from portal.evidence.labels import refusal_message
from portal.evidence.storage import InvalidKeyError, Storage
from portal.extensions import db
from portal.i18n import current_locale_code
from portal.rendering import redirect_to, render, wants_fragment
from portal.support import canned, export, faq, polling, services
from portal.support import complaint_views as _complaint_routes  # noqa: F401  (adds its routes to bp)
from portal.support import green_views as _green_routes  # noqa: F401  (adds its routes to bp)
from portal.support.basis import basis_text
from portal.support.blueprint import bp, desk_required
from portal.support.forms import AssignForm, CannedReplyForm, MessageForm, ReplyForm
from portal.support.labels import AGE_LABELS, error_message
from portal.support.models import CannedReply, Conversation
from portal.support.notify import tell_customer_answered


@bp.record_once
def _count_in_the_shell(state) -> None:
    shell.register_count(state.app, "support_unread", services.UNREAD_FOR_CUSTOMER)


def support_unread() -> int:
    """Unseen answers for the 联系客服 link: counted only where a page shows it, once per request however many
    places show it (the title bar, 我的), in the shell's one query for its badges."""
    return shell.shell_count("support_unread")


@bp.app_context_processor
def support_badge() -> dict:
    return {"support_unread": support_unread}


@bp.app_template_global()
def support_escalations() -> services.Escalated | None:
    """For the staff console's notice: late conversations and complaints escalated to the signed-in staff
    member (the escalation job assigns them to a senior) and still waiting for them."""
    if not (current_user.is_authenticated and current_user.is_staff and current_user.has_role(*REVIEW_ROLES)):
        return None
    return services.escalated_to(current_user.id) or None


def _storage() -> Storage:
    """Photos live with the evidence (same store, same random keys, served only through _may_see)."""
    return stores.get("evidence")


def _int_arg(name: str) -> int | None:
    return request.values.get(name, type=int)


# -- the customer's side ---------------------------------------------------------------------------


@bp.get("/support")
@customer_required
def index() -> Response:
    """Common questions first, then the customer's conversations and a box to write to a person."""
    order_id, case_id = _int_arg("order"), _int_arg("case")
    try:
        context = services.context_for(current_user.id, order_id, case_id)
    except services.SupportError:
        abort(404)
    existing = services.find_conversation(current_user.id, *context)
    if existing is not None and (order_id or case_id):
        return redirect_to(url_for("support.thread", conversation_id=existing.id) + "#compose")
    return _index_page(MessageForm(), order_id, case_id)


def _index_page(form: MessageForm, order_id, case_id, status: int = 200, error: str = "") -> Response:
    return render(
        "support/index.html",
        status=status,
        form=form,
        error=error,
        order_id=order_id,
        case_id=case_id,
        faq=faq.common_questions(
            current_locale_code(), current_app.config["MAX_FILE_BYTES"] // (1024 * 1024)
        ),
        conversations=services.customer_conversations(current_user.id),
        answer_hours=int(deadlines.SUPPORT_ANSWER.total_seconds() // 3600),
    )


@bp.post("/support")
@customer_required
def start() -> Response:
    """Open (or continue) the conversation about the order, case, or in general, with a first message."""
    form, order_id, case_id = MessageForm(), _int_arg("order"), _int_arg("case")
    try:
        conversation_id = _post(
            form, lambda: services.open_conversation(current_user.id, order_id, case_id, utcnow())
        )
    except services.SupportError as exc:
        db.session.rollback()
        if exc.code == "not_found":
            abort(404)
        return _index_page(form, order_id, case_id, _refused_status(exc), error_message(exc.code, exc.params))
    except EvidenceError as exc:
        db.session.rollback()
        return _index_page(form, order_id, case_id, 422, _photo_error(refusal_message(exc)))
    return redirect_to(url_for("support.thread", conversation_id=conversation_id) + "#latest")


def _post(form: MessageForm, conversation_for: Callable[[], Conversation]) -> int:
    """Add the customer's message (text and/or photo) and commit; the id of the conversation it is in.

    The same form sent again (its token) is not stored twice: the first one's conversation is the
    answer. Raises SupportError (also "too_many" past the message allowance) or EvidenceError."""
    customer_id, token = current_user.id, services.client_token(form.token.data)
    if (earlier := services.sent_with_token(customer_id, token)) is not None:
        return earlier.conversation_id
    services.check_rate(customer_id)
    conversation = conversation_for()
    upload, photo = request.files.get("photo"), None
    if upload is not None and upload.filename:
        config = current_app.config
        photo = services.store_photo(
            _storage(), services.Photo(upload.read(), config["MAX_FILE_BYTES"], config["MAX_IMAGE_PIXELS"])
        )
    try:
        services.add_customer_message(conversation, form.body.data or "", photo, _storage(), utcnow(), token)
        db.session.commit()
    except IntegrityError:  # the same Send, a moment ago, in another request
        db.session.rollback()
        if (earlier := services.sent_with_token(customer_id, token)) is None:
            raise
        return earlier.conversation_id
    services.count_message(customer_id)
    return conversation.id


def _refused_status(exc: services.SupportError) -> int:
    return 429 if exc.code == "too_many" else 422


def _photo_error(message: str) -> str:
    return f"{message} {error_message('photo_again')}"


def _thread_etag(conversation: Conversation) -> str:
    return polling.etag_for(conversation.id, conversation.updated_at, current_locale_code())


@bp.record_once
def _install_fast_lane(state) -> None:
    polling.install(state.app)


@bp.get("/support/<int:conversation_id>")
@customer_required
def thread(conversation_id: int) -> Response:
    """The conversation, newest at the bottom; to htmx polls, the message list (unchanged polls are
    answered 304 by support.polling before they get here)."""
    conversation = _own_or_404(conversation_id)
    etag = _thread_etag(conversation)
    if wants_fragment() and request.if_none_match.contains_weak(etag):
        # Normally answered by the fast lane already; kept so the app alone is still correct.
        return Response(status=304, headers=polling.not_modified_headers(etag, conversation.updated_at))
    _commit_if(services.mark_read_by_customer(conversation, utcnow()))
    response = _thread_page(conversation, MessageForm())
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("HX-Request")
    return response


def _thread_page(
    conversation: Conversation, form: MessageForm, status: int = 200, error: str = ""
) -> Response:
    return render(
        "support/thread.html",
        "live",
        status=status,
        conversation=conversation,
        messages=conversation.messages,
        form=form,
        error=error,
        etag=f'W/"{_thread_etag(conversation)}"',
        poll_seconds=current_app.config["PROGRESS_POLL_SECONDS"],
    )


@bp.post("/support/<int:conversation_id>")
@customer_required
def send(conversation_id: int) -> Response:
    """Write in the conversation; a refused message comes back with the text kept and a clear reason."""
    conversation, form = _own_or_404(conversation_id), MessageForm()
    try:
        landed = _post(form, lambda: conversation)
    except services.SupportError as exc:
        db.session.rollback()
        return _thread_page(conversation, form, _refused_status(exc), error_message(exc.code, exc.params))
    except EvidenceError as exc:
        db.session.rollback()
        return _thread_page(conversation, form, 422, _photo_error(refusal_message(exc)))
    return redirect_to(url_for("support.thread", conversation_id=landed) + "#latest")


def _commit_if(changed: int) -> None:
    """Marking read wrote something: keep it; else end the (write) transaction the UPDATE opened."""
    if changed:
        db.session.commit()
    else:
        db.session.rollback()


def _own_or_404(conversation_id: int) -> Conversation:
    conversation = services.customer_conversation(current_user.id, conversation_id)
    if conversation is None:
        abort(404)
    return conversation


@bp.get("/support/photos/<public_id>")
def photo(public_id: str) -> Response:
    """A photo sent in a conversation: to its customer, or to staff who answer conversations."""
    message = services.photo_message(public_id)
    if message is None or not current_user.is_authenticated or not _may_see(message.conversation):
        abort(404)
    try:
        data = _storage().open(message.storage_key)
    except (FileNotFoundError, InvalidKeyError):
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = message.mime
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _may_see(conversation: Conversation) -> bool:
    if current_user.is_staff:
        return current_user.has_role(*REVIEW_ROLES)
    return conversation.customer_id == current_user.id


# -- the service desk --------------------------------------------------------------------------------


@bp.get("/staff/support")
@desk_required
def desk() -> Response:
    """Conversations waiting for an answer, nearest 24-hour deadline first; late ones flagged."""
    show_all = request.args.get("all") == "1"
    return render(
        "support/desk.html",
        rows=services.desk_queue(waiting_only=not show_all),
        show_all=show_all,
        now=utcnow(),
        names=_names(),
    )


def _names() -> dict[int, str]:
    return {user.id: user.display_name for user in services.desk_staff()}


@bp.get("/staff/support/<int:conversation_id>")
@desk_required
def desk_thread(conversation_id: int) -> Response:
    """One conversation, the reply box (from a canned reply or the case's basis), the customer's records."""
    conversation = _desk_or_404(conversation_id)
    _commit_if(services.mark_read_by_staff(conversation, utcnow()))
    form = ReplyForm()
    form.body.data = _prefill(conversation)
    return _desk_page(conversation, form)


def _prefill(conversation: Conversation) -> str:
    lang = conversation.customer.locale
    if request.args.get("basis") == "1" and conversation.case is not None:
        return basis_text(conversation.case, lang)
    if (reply_id := _int_arg("canned")) is not None and (reply := db.session.get(CannedReply, reply_id)):
        return canned.text_in(reply, lang)
    return ""


def _desk_page(conversation: Conversation, form: ReplyForm, status: int = 200, error: str = "") -> Response:
    orders, cases = services.customer_records(conversation.customer_id, conversation.order_id)
    assign = AssignForm()
    assign.assignee.choices = [(u.id, u.display_name) for u in services.desk_staff()]
    assign.assignee.data = conversation.assigned_to_id
    return render(
        "support/desk_thread.html",
        status=status,
        conversation=conversation,
        form=form,
        assign=assign,
        error=error,
        orders=orders,
        cases=cases,
        replies=canned.active_replies(),
        late=services.is_late(conversation, utcnow()),
        names=_names(),
        may_assign=current_user.has_role(*SENIOR_ROLES),
    )


def _desk_or_404(conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        abort(404)
    return conversation


@bp.post("/staff/support/<int:conversation_id>/reply")
@desk_required
def reply(conversation_id: int) -> Response:
    """Answer the customer; they hear of it in 站内信 and by push or SMS."""
    conversation, form = _desk_or_404(conversation_id), ReplyForm()
    try:
        services.add_staff_reply(conversation, current_user, form.body.data or "", utcnow())
        tell_customer_answered(conversation)
        db.session.commit()
    except services.SupportError as exc:
        db.session.rollback()
        return _desk_page(conversation, form, 422, error_message(exc.code, exc.params))
    flash(_("Your answer was sent."), "success")
    return redirect_to(url_for("support.desk_thread", conversation_id=conversation.id) + "#latest")


@bp.post("/staff/support/<int:conversation_id>/claim")
@desk_required
def claim(conversation_id: int) -> Response:
    conversation = _desk_or_404(conversation_id)
    services.claim(conversation, current_user)
    db.session.commit()
    return redirect_to(url_for("support.desk_thread", conversation_id=conversation.id))


@bp.post("/staff/support/<int:conversation_id>/assign")
@staff_required(*SENIOR_ROLES)
def assign(conversation_id: int) -> Response:
    conversation = _desk_or_404(conversation_id)
    try:
        services.assign(conversation, request.form.get("assignee", type=int) or 0)
        db.session.commit()
    except services.SupportError as exc:
        db.session.rollback()
        flash(error_message(exc.code), "error")
    return redirect_to(url_for("support.desk_thread", conversation_id=conversation.id))


@bp.get("/staff/support/figures")
@staff_required(*SENIOR_ROLES)
def figures() -> Response:
    """Answered within 24 hours, and the conversations waiting now by age."""
    return render("support/figures.html", figures=services.figures(utcnow()), age_labels=AGE_LABELS)


# -- the arbitration dossier ------------------------------------------------------------------------


@bp.post("/staff/cases/<int:case_id>/dossier")
@desk_required
def dossier(case_id: int) -> Response:
    """Download the case's arbitration dossier (a ZIP); the export is logged on the case with its SHA-256."""
    case = db.session.get(RefundCase, case_id)
    if case is None:
        abort(404)
    try:
        name, data = export.export(case, current_user, _storage())
        db.session.commit()
    except export.NotForArbitration:
        flash(_("Only a case in third-party arbitration has a dossier."), "error")
        return redirect_to(url_for("staff.case", case_id=case_id))
    response = make_response(data)
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- canned replies (policy editors) -------------------------------------------------------------------


@bp.route("/staff/support/replies", methods=["GET", "POST"])
@bp.route("/staff/support/replies/<int:reply_id>", methods=["GET", "POST"])
@staff_required(*EDITOR_ROLES)
def replies(reply_id: int | None = None) -> Response:
    """The list of canned replies, and the form to add one or change one."""
    reply = db.session.get(CannedReply, reply_id) if reply_id else None
    if reply_id and reply is None:
        abort(404)
    form = CannedReplyForm(obj=reply)
    if form.validate_on_submit():
        canned.save(
            reply, form.title.data, form.body_zh.data, form.body_en.data, form.active.data, current_user.id
        )
        db.session.commit()
        flash(_("The canned reply was saved."), "success")
        return redirect_to(url_for("support.replies"))
    status = 422 if request.method == "POST" else 200
    return render("support/replies.html", status=status, form=form, reply=reply, replies=canned.all_replies())
