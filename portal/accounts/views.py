"""Sign-in and sign-out pages for customers (code or APP hand-off) and staff."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from portal.accounts import services
from portal.accounts.cookie import SEEN, SEEN_GRANULARITY
from portal.accounts.forms import PhoneSignInForm, StaffSignInForm
from portal.accounts.handoff import HandoffError
from portal.accounts.next_url import safe_next
from portal.clock import utcnow
from portal.extensions import login_manager
from portal.i18n import current_locale_code
from portal.i18n import lazy_gettext as _l
from portal.pagecache import APP_SIGN_IN_HINT, cached_page
from portal.rendering import redirect_to, render

bp = Blueprint("accounts", __name__)

ERRORS = {
    "invalid_phone": _l("This is not a valid mobile number. Please check it and try again."),
    "too_many_sends_ip": _l("Too many codes were requested from this network. Please try again later."),
    "too_many_sends_phone": _l(
        "A code was sent to this number recently. Please try again in %(minutes)s min."
    ),
    "no_code": _l("Please request a code first."),
    "wrong": _l("The code is not right. Please check the SMS and try again."),
    "expired": _l("The code has expired. Please request a new one."),
    "too_many_attempts": _l("Too many wrong codes. Please request a new one."),
    "missing_code": _l("Please enter the 6-digit code from the SMS."),
}
STAFF_ERRORS = {
    "wrong": _l("Wrong username or password."),
    # The same notice whether or not the username exists.
    "locked": _l("Too many failed sign-ins. Please try again in %(minutes)s min."),
}
HANDOFF_ERRORS = {
    "malformed": _l("This sign-in link is not valid."),
    "bad_signature": _l("This sign-in link is not valid."),
    "expired": _l("This sign-in link has expired. Please open the refund page from the APP again."),
    "replayed": _l(
        "This sign-in link has already been used. Please open the refund page from the APP again."
    ),
}


@login_manager.user_loader
def load_user(session_id: str):
    """The signed-in person, unless the sign-in has run out (then it ends here and on the server)."""
    principal = services.load_principal(session_id)
    if principal is None:
        return None
    now = utcnow()
    seen = session.get(SEEN)
    last_seen = datetime.fromtimestamp(seen, UTC).replace(tzinfo=None) if isinstance(seen, int) else None
    if services.session_expired(principal.login_session, last_seen, now, current_app.config):
        services.end_session(session_id)
        _clear_session()
        flash(_l("You were signed out after a while without activity. Please sign in again."), "info")
        return None
    if last_seen is None or (now - last_seen).total_seconds() >= SEEN_GRANULARITY:
        session[SEEN] = int(now.replace(tzinfo=UTC).timestamp())
    return principal


def _clear_session() -> None:
    """Forget everything the browser's session held but its language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


login_manager.login_view = "accounts.sign_in"
login_manager.login_message = _l("Please sign in to continue.")


def _safe_next(default: str) -> str:
    return safe_next(request.values.get("next")) or default


def _sign_in(principal, embed: bool = False) -> None:
    """Start a fresh session: drop whatever the browser's old session held (fixation)."""
    if current_user.is_authenticated:
        services.end_session(current_user.get_id())  # the browser's previous sign-in ends here too
    _clear_session()
    services.open_session(principal, embed=embed)
    login_user(principal)
    if embed:
        session[APP_SIGN_IN_HINT] = True
    session[SEEN] = int(utcnow().replace(tzinfo=UTC).timestamp())


@bp.get("/")
def home():
    """Send people where they belong."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.queue" if current_user.is_staff else "orders.my_orders"))
    return redirect(url_for("accounts.sign_in"))


@bp.route("/login", methods=["GET", "POST"])
def sign_in():
    """Phone + one-time code: 'send' asks for a code, 'verify' signs in."""
    form = PhoneSignInForm()
    notice = error = None
    if request.method == "POST" and form.validate_on_submit():
        settings = current_app.config
        if request.form.get("action") == "send":
            outcome = services.send_sign_in_code(
                form.phone.data, request.remote_addr or "", current_locale_code(), settings
            )
            if outcome.ok:
                form.phone.data = outcome.phone.removeprefix("+86")
                notice = _l(
                    "A 6-digit code is on its way to %(phone)s. It is valid for 10 minutes.",
                    phone=form.phone.data,
                )
            else:
                error = ERRORS[outcome.error] % {"minutes": outcome.wait_minutes}
        elif not (form.code.data or "").strip():
            error = ERRORS["missing_code"]
        else:
            outcome, customer = services.verify_sign_in_code(
                form.phone.data, form.code.data, current_locale_code(), settings
            )
            if outcome.ok:
                _sign_in(customer)
                return redirect_to(_safe_next(url_for("orders.my_orders")))
            error = ERRORS[outcome.error]
            form.code.data = ""
    status = 422 if (error or form.errors) and request.method == "POST" else 200
    return render(
        "accounts/sign_in.html",
        "sign_in_form",
        status=status,
        form=form,
        notice=notice,
        error=error,
        next=_safe_next(""),
    )


@bp.get("/app/enter")
def app_enter():
    """The APP's hand-off: exchange the token for a session, then leave the token out of the address bar."""
    try:
        customer, handoff = services.exchange_handoff_token(request.args.get("token", ""), current_app.config)
    except HandoffError as exc:
        return render("accounts/handoff_error.html", status=400, message=HANDOFF_ERRORS[exc.code])
    _sign_in(customer, embed=True)
    if handoff.lang:
        session["lang"] = handoff.lang
    response = redirect(handoff.next_path or url_for("orders.my_orders"), 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/logout")
def sign_out():
    """End the session on the server and in the browser."""
    staff = current_user.is_authenticated and current_user.is_staff
    if current_user.is_authenticated:
        services.end_session(current_user.get_id())
    logout_user()
    _clear_session()
    flash(_l("You have signed out."), "info")
    return redirect(url_for("accounts.staff_sign_in" if staff else "accounts.sign_in"), 303)


@bp.get("/me")
@cached_page
def me():
    """我的: the customer's own page (number, notification settings, language, sign-out)."""
    return render("accounts/me.html")


@bp.route("/staff/login", methods=["GET", "POST"])
def staff_sign_in():
    """Staff sign in with username and password."""
    form = StaffSignInForm()
    error = None
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        outcome, user = services.authenticate_staff(
            form.username.data, form.password.data, request.remote_addr or "", current_app.config
        )
        if user:
            _sign_in(user)
            return redirect(_safe_next(url_for("staff.queue")), 303)
        error = STAFF_ERRORS[outcome.error] % {"minutes": outcome.wait_minutes}
        status = 429 if outcome.error == "locked" else 422
    return render("accounts/staff_sign_in.html", status=status, form=form, error=error, next=_safe_next(""))


@bp.app_context_processor
def session_context() -> dict:
    """Whether the page is shown inside the APP's webview (no site chrome)."""
    login = getattr(current_user, "login_session", None) if current_user.is_authenticated else None
    return {"embed_mode": bool(login and login.embed)}
