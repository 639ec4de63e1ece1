"""CSRF inside webviews: the session-bound token is the check, and a missing Referer is accepted.

Flask-WTF's strict HTTPS mode refuses a POST without a Referer, which some webviews never send, so it is
off (WTF_CSRF_SSL_STRICT = False). What it also caught is kept here, for every request whose token was
accepted: an Origin or Referer naming another host is refused. Over HTTPS the scheme must match too; over
plain HTTP (development, or a proxy the app does not know terminates TLS) only the host is compared.
"""

from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError


def same_site_or_unknown(origin: str | None, referrer: str | None, host: str, secure: bool = True) -> bool:
    """False only when the request says it came from a page on another host (or over HTTP to HTTPS)."""
    source = origin if origin and origin != "null" else referrer
    if not source:
        return True  # the webview did not say; the token decides
    parts = urlsplit(source)
    schemes = ("https",) if secure else ("http", "https")
    return parts.scheme in schemes and parts.netloc.lower() == host.lower()


def init_app(app: Flask) -> None:
    """Run after Flask-WTF's check (registered later), only on requests whose token it accepted."""

    @app.before_request
    def refuse_foreign_origin() -> None:
        if not g.get("csrf_valid"):
            return
        origin, referrer = request.headers.get("Origin"), request.referrer
        if not same_site_or_unknown(origin, referrer, request.host, request.is_secure):
            raise CSRFError("The request came from another site.")
