"""The conversation's cheap poll: 304 Not Modified before Flask builds a request, the same fast lane as
退款进度's (portal.cases.polling), with its session check, language choice and 304 headers.

An open thread asks every few seconds whether anything was written. Almost always nothing was, so the
answer is ONE indexed query (the login session is open and belongs to the conversation's customer; the
conversation's last change; the customer's language) and an ETag comparison. Anything else goes to the
app, which renders the message list with the same ETag (portal.support.views.thread).
"""

import re
from datetime import datetime
from functools import cache
from urllib.parse import parse_qs

from flask import Flask
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_etags

from portal.accounts.cookie import read_session
from portal.accounts.models import Customer, LoginSession
from portal.cases.polling import PollFastLane, not_modified_headers
from portal.i18n import page_locale
from portal.support.models import Conversation

THREAD_PATH = re.compile(r"/support/(\d+)")


def etag_for(conversation_id: int, updated_at: datetime, locale: str) -> str:
    """The thread's validator: it changes with every message (updated_at) and with the language."""
    return f"support-{conversation_id}-{updated_at:%Y%m%d%H%M%S%f}-{locale}"


@cache
def poll_statement():
    """Session check and the conversation's stamp in one query, by primary keys (built once)."""
    return (
        select(Conversation.updated_at, Customer.locale)
        .join(LoginSession, LoginSession.customer_id == Conversation.customer_id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(
            Conversation.id == bindparam("conversation_id"),
            LoginSession.id == bindparam("login_id"),
            LoginSession.ended_at.is_(None),
        )
    )


def is_poll(environ: dict) -> bool:
    """An htmx poll with a validator (not a page load, a boosted link or a history restore)."""
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and environ.get("HTTP_HX_REQUEST") == "true"
        and environ.get("HTTP_HX_BOOSTED") != "true"
        and environ.get("HTTP_HX_HISTORY_RESTORE_REQUEST") != "true"
        and bool(environ.get("HTTP_IF_NONE_MATCH"))
    )


class ThreadFastLane(PollFastLane):
    """WSGI middleware answering unchanged thread polls; everything else passes through untouched."""

    def _not_modified(self, environ: dict) -> list[tuple[str, str]] | None:
        match = THREAD_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or not is_poll(environ):
            return None
        session = read_session(self.app, environ)
        login_id = session.get("_user_id")
        if not isinstance(login_id, str):
            return None
        conversation_id = int(match.group(1))
        try:
            with self._connect() as conn:
                row = conn.execute(
                    poll_statement(), {"conversation_id": conversation_id, "login_id": login_id}
                ).first()
        except SQLAlchemyError:
            return None  # the database is unwell: the app answers this one (or reports the error)
        if row is None:
            return None
        query = parse_qs(environ.get("QUERY_STRING", ""))
        requested = (query.get("lang") or [None])[0] or session.get("lang")
        locale = page_locale(requested, row.locale, environ.get("HTTP_ACCEPT_LANGUAGE", ""), self.app.config)
        etag = etag_for(conversation_id, row.updated_at, locale)
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        return not_modified_headers(etag, row.updated_at)


def install(app: Flask) -> None:
    """Put the thread's fast lane in front of the app."""
    app.wsgi_app = ThreadFastLane(app, app.wsgi_app)
