"""The 404 page for an address no route knows, answered before Flask builds a request.

Crawlers and typos ask for addresses the portal does not have, and the answer is the same page for everyone
(portal.errors.unknown_address renders it once per language and kind — page or htmx fragment — and keeps
it). Once it is kept, this WSGI layer gives it at once when the URL map matches no rule, there is no query
string, the signed session holds no message still to show and no APP sign-in, and the language comes out as
the app would choose it: the kept page, compressed as the browser asks, with the same headers (security
headers, Vary, the request id) and the same JSON log line and latency metric as any answer.

Anything else (another method, a query string such as ?lang=, a redirect the URL map would make, a page not
kept yet, a session it cannot verify) goes on to the app unchanged, which renders the same page.
"""

import time

from flask import Flask
from werkzeug.datastructures import Accept
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import parse_accept_header

from portal import ops, security
from portal.accounts.cookie import read_session
from portal.i18n import page_locale
from portal.ops.logs import REQUEST_ID_HEADER
from portal.pagecache import APP_SIGN_IN_HINT, Entry
from portal.rendering import environ_header, fragment_requested

PAGES = "unknown_address_pages"  # in app.extensions: (locale, fragment?) → Entry, kept by portal.errors
FOR_THE_APP = frozenset({"_flashes", APP_SIGN_IN_HINT})  # in the session: the app renders for this person
VARY = "HX-Request, Accept-Encoding, Cookie"  # as the app's answer varies (fragment, compression, session)


class UnknownAddressLane:
    """WSGI middleware giving the kept 404 page for unknown addresses; everything else passes through."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response):
        started = time.perf_counter()
        try:
            entry = self._kept_page(environ)
        except Exception:  # noqa: BLE001 - an environ this layer cannot read: the app decides, and answers errors
            entry = None
        if entry is None:
            return self.wsgi_app(environ, start_response)
        config = self.app.config
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"), Accept)
        encoding = entry.encoding_for(accept, config)
        body = entry.body_for(encoding, config)
        request_id = ops.request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [
            *((name, value) for name, value in entry.headers if name != "Vary"),
            ("Content-Length", str(len(body))),
            ("Vary", VARY),
            *(() if encoding is None else (("Content-Encoding", encoding),)),
            *security.page_headers(config),
            ("Cache-Control", security.PAGE_CACHE_CONTROL),
            (REQUEST_ID_HEADER, request_id),
        ]
        start_response(f"{entry.status} NOT FOUND", headers)
        method = environ["REQUEST_METHOD"]
        seconds = time.perf_counter() - started
        ops.record(ops.UNMATCHED, method, entry.status, seconds, request_id=request_id, principal=None)
        return [] if method == "HEAD" else [body]

    def _kept_page(self, environ: dict) -> Entry | None:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or environ.get("QUERY_STRING"):
            return None
        pages = self.app.extensions[PAGES]
        if not pages or self.app.config["TRUSTED_HOSTS"] is not None:
            return None  # nothing kept yet; or the app checks the Host first
        url_map = self.app.url_map
        adapter = url_map.bind_to_environ(
            environ, server_name=self.app.config["SERVER_NAME"], subdomain=url_map.default_subdomain or ""
        )
        try:
            adapter.match()
        except NotFound:
            pass
        except HTTPException:
            return None  # a redirect (a missing slash) or another method: the app answers
        else:
            return None  # a route
        session = read_session(self.app, environ)
        if FOR_THE_APP & session.keys():
            return None
        config = self.app.config
        locale = page_locale(session.get("lang"), None, environ.get("HTTP_ACCEPT_LANGUAGE", ""), config)
        return pages.get((locale, fragment_requested(environ_header(environ))))


def install(app: Flask) -> None:
    """Put the lane in front of the app (the kept pages are filled by portal.errors)."""
    app.extensions.setdefault(PAGES, {})
    app.wsgi_app = UnknownAddressLane(app, app.wsgi_app)
