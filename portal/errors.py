"""Error pages for 400/403/404/413/429/500 in the reader's language, as fragments for htmx."""

from flask import Flask, Response, current_app, request, session
from flask_babel import force_locale
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import notfound
from portal.embed.templating import hold_bridge_events
from portal.extensions import db
from portal.i18n import lazy_gettext as _l
from portal.i18n import page_locale
from portal.pagecache import APP_SIGN_IN_HINT, Entry, as_visitor
from portal.rendering import render, wants_fragment

TITLES = {
    400: _l("Something in the request was wrong"),
    403: _l("You are not allowed to see this"),
    404: _l("Not found"),
    405: _l("This action is not available here"),
    413: _l("The file is too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong on our side"),
}
EXPLANATIONS = {
    400: _l("Please go back and try again."),
    403: _l("If you think this is a mistake, sign in with another account."),
    404: _l("The page or item does not exist, or it is not yours."),
    405: _l("Please go back and try again."),
    413: _l("Each file may be at most %(mb)s MB. Please choose a smaller file or take a new photo."),
    429: _l("Please wait a moment before trying again."),
    500: _l("We have been told about it. Please try again in a moment; nothing you saved is lost."),
}


def init_app(app: Flask) -> None:
    """Register one handler for HTTP errors, CSRF failures and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _l("Your form expired or was sent from elsewhere. Please try again."))

    notfound.install(app)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code not in TITLES:
            return error
        if code == 404 and request.url_rule is None and not {"_flashes", APP_SIGN_IN_HINT} & session.keys():
            return unknown_address()
        return render_error(code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error")
        # A failed transaction would fail the error page too (the page loads the user): roll back first.
        db.session.rollback()
        try:
            return render_error(500)
        except Exception:
            app.logger.exception("The error page failed too")
            return Response(str(TITLES[500]), 500, mimetype="text/plain")


def _not_counted() -> int:
    """An error page's 联系客服 link leads to the desk but counts no unread answers (one query less for
    every 404 a browser or a crawler asks for); the page the customer returns to shows the number."""
    return 0


def unknown_address() -> Response:
    """404 for an address no route knows (a typo, a crawler): the same page for everyone, so it is made once
    per language and kept. It looks up no sign-in (the title bar is a visitor's: no 联系客服 count, no back
    arrow; 返回首页 leads each person home) and carries no one's CSRF token."""
    hold_bridge_events()
    locale = page_locale(
        request.args.get("lang") or session.get("lang"),
        None,
        request.headers.get("Accept-Language", ""),
        current_app.config,
    )
    pages = current_app.extensions[notfound.PAGES]
    key = (locale, wants_fragment())
    shared = set(request.args) <= {"lang"}  # the language link keeps the query: any other is rendered anew
    if (entry := pages.get(key) if shared else None) is None:
        entry = _visitor_page(locale)
        if shared:
            pages[key] = entry
    return entry.response()


def _visitor_page(locale: str) -> Entry:
    with force_locale(locale), as_visitor():
        response = render_error(404, shared_page=True)
    return Entry(
        404, (("Content-Type", response.content_type), ("Vary", "HX-Request")), response.get_data(), 0.0
    )


def render_error(code: int, explanation=None, shared_page: bool = False):
    """Render the error page (or its fragment) with the right status."""
    hold_bridge_events()  # browsers fetch things they never show (a favicon): keep the APP's news for a page
    mb = current_app.config["MAX_FILE_BYTES"] // (1024 * 1024)
    text = explanation or (EXPLANATIONS[code] % {"mb": mb} if code == 413 else EXPLANATIONS[code])
    response = render(
        "errors/error.html",
        "content",
        status=code,
        title=TITLES[code],
        explanation=text,
        code=code,
        support_unread=_not_counted,
        shared_page=shared_page,
    )
    if code == 413:
        # htmx does not swap error answers unless told; the upload widget shows this fragment.
        response.headers["HX-Reswap"] = "innerHTML"
    return response
