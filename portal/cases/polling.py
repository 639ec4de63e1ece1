"""The cheap answer to the progress page's polls: 304 Not Modified before Flask builds a request.

An open progress page asks every few seconds whether its case changed. Almost always it has not, so
that answer is given by a small WSGI layer in front of the app: it verifies the signed session
cookie, runs ONE indexed query (the login session is open and belongs to the case's customer; the
case's version, update time and deadlines; the customer's language) and compares the ETag. Anything
else (no validator, a change, no or an ended session, a plain browser request) goes to the app,
which renders the fragment with the same ETag (portal.cases.views).
"""

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import http_date, parse_etags

from portal.accounts.cookie import read_session
from portal.accounts.models import Customer, LoginSession
from portal.cases.models import RefundCase
from portal.cases.progress import review_overdue
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import page_locale

PROGRESS_PATH = re.compile(r"/cases/(\d+)")
STAMP_COLUMNS = (
    RefundCase.version,
    RefundCase.updated_at,
    RefundCase.state,
    RefundCase.step_due_at,
    RefundCase.review_due_at,
)


def etag_for(case_id: int, stamp: Any, now: datetime, locale: str) -> str:
    """The progress fragment's validator: what it shows changes with the case, the clock, the language."""
    # Lateness flips with the clock, not with a write; the language changes every word.
    late = review_overdue(stamp, now)
    return f"case-{case_id}-v{stamp.version}-{stamp.updated_at:%Y%m%d%H%M%S%f}-{int(late)}-{locale}"


@cache
def poll_statement():
    """Session check and case stamp in one query, by primary keys (built once)."""
    return (
        select(*STAMP_COLUMNS, Customer.locale)
        .join(LoginSession, LoginSession.customer_id == RefundCase.customer_id)
        .join(Customer, Customer.id == RefundCase.customer_id)
        .where(
            RefundCase.id == bindparam("case_id"),
            LoginSession.id == bindparam("login_id"),
            LoginSession.ended_at.is_(None),
        )
    )


def not_modified_headers(etag: str, updated_at: datetime) -> list[tuple[str, str]]:
    """Headers of a 304 to a poll (htmx must not swap its empty body into the page)."""
    return [
        ("ETag", f'W/"{etag}"'),
        ("Last-Modified", http_date(updated_at.replace(tzinfo=UTC))),
        ("Cache-Control", "private, no-cache"),
        ("Vary", "HX-Request, Cookie"),
        ("HX-Reswap", "none"),
        ("X-Content-Type-Options", "nosniff"),
    ]


class PollFastLane:
    """WSGI middleware answering unchanged progress polls; everything else passes through untouched."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._engine = None

    def __call__(self, environ: dict, start_response):
        headers = self._not_modified(environ)
        if headers is None:
            return self.wsgi_app(environ, start_response)
        start_response("304 NOT MODIFIED", headers)
        return [b""]

    def _not_modified(self, environ: dict) -> list[tuple[str, str]] | None:
        match = PROGRESS_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if (
            match is None
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("HTTP_HX_REQUEST") != "true"
            or environ.get("HTTP_HX_BOOSTED") == "true"
            or environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") == "true"
            or not environ.get("HTTP_IF_NONE_MATCH")
        ):
            return None
        session = read_session(self.app, environ)
        login_id = session.get("_user_id")
        if not isinstance(login_id, str):
            return None
        case_id = int(match.group(1))
        try:
            with self._connect() as conn:
                row = conn.execute(poll_statement(), {"case_id": case_id, "login_id": login_id}).first()
        except SQLAlchemyError:
            return None  # the database is unwell: the app answers this one (or reports the error)
        if row is None:
            return None
        requested = (parse_qs(environ.get("QUERY_STRING", "")).get("lang") or [None])[0] or session.get(
            "lang"
        )
        locale = page_locale(requested, row.locale, environ.get("HTTP_ACCEPT_LANGUAGE", ""), self.app.config)
        etag = etag_for(case_id, row, utcnow(), locale)
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        return not_modified_headers(etag, row.updated_at)

    def _connect(self):
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        # Autocommit: no BEGIN before the query and no ROLLBACK when the connection goes back.
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def install(app: Flask) -> None:
    """Put the fast lane in front of the app."""
    app.wsgi_app = PollFastLane(app, app.wsgi_app)
