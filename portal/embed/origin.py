"""CSRF inside webviews: the session-bound token is the check, and a missing Referer is accepted.

Flask-WTF's strict HTTPS mode refuses a POST without a Referer, which some webviews never send, so it is
off (WTF_CSRF_SSL_STRICT = False). What it also caught is kept here: over HTTPS, a request whose token
is valid but whose Origin or Referer names another site is refused.
"""

from urllib.parse import urlsplit

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError


def same_site_or_unknown(origin: str | None, referrer: str | None, host: str) -> bool:
    """False only when the request says it came from a page other than https://host."""
    if origin and origin != "null":
        return origin.rstrip("/").lower() == f"https://{host}".lower()
    if referrer:
        parts = urlsplit(referrer)
        return parts.scheme == "https" and parts.netloc.lower() == host.lower()
    return True


def init_app(app: Flask) -> None:
    """Run after Flask-WTF's check (registered later), only on requests whose token it accepted."""

    @app.before_request
    def refuse_foreign_origin() -> None:
        if not g.get("csrf_valid") or not request.is_secure:
            return
        if not same_site_or_unknown(request.headers.get("Origin"), request.referrer, request.host):
            raise CSRFError("The request came from another site.")
