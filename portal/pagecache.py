"""Customer pages kept as rendered for a short while, until anything of that customer's changes.

A customer who opens 退款进度 again, comes back to 我的订单 or refreshes 站内信 usually finds nothing changed
since the last time; rendering the page again costs 5–10 ms of server CPU. This module keeps the rendered
answer of the views marked with `@cached_page`, per sign-in, address, htmx headers and language, and
gives it again while

- nothing that belongs to that customer was written (a *revision* per customer in Redis, raised after every
  commit that wrote one of their rows: an order, a case or its events, evidence, a draft, a message …),
- nothing shared was written (the *site* revision: policy versions, products, the working-day calendar,
  staff; any row or bulk statement whose owner is not known raises it, so an unknown write can only make
  the cache forget too much, never show too little),
- and the answer is at most PAGE_CACHE_SECONDS old (a platform choice, 60 s): what changes with the clock
  alone (a deadline passing, a refund window closing) shows at most that late; every action checks the
  rules again when it is taken, so a page a minute old never lets anyone do what is no longer allowed.

Never kept: anything but a 200 HTML answer to a GET, a page that showed a flash message, a page that told
the APP news (bridge events, see `forbid`), conditional requests (the progress page answers those itself),
staff pages. The sign-in is checked before anything kept is given (the decorator is the customer guard: a
kept answer needs a customer's sign-in that is not ended, within its lifetime and seen within the minute,
checked in one query without loading the customer), and the key holds the sign-in's own id, so one
customer's page is never given to another.

The revision is read before the page's own queries, and every query sees what was committed when it ran
(PostgreSQL's READ COMMITTED, SQLite's reads outside a write transaction): a page is never filed under a
revision raised by a commit it does not show. Redis unreachable: no cache (every page renders) until it
answers again.

Each web process keeps its own entries (an LRU within PAGE_CACHE_BYTES); the revisions are shared by
every process through Redis, the worker's writes included.
"""

import gzip
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import cache, wraps

import brotli
from flask import Flask, Response, current_app, g, has_app_context, make_response, request, session
from flask_login import current_user
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy import bindparam, event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, UOWTransaction
from werkzeug.datastructures import Accept

from portal.accounts.cookie import SEEN, SEEN_GRANULARITY, SIGN_IN_ID
from portal.accounts.guards import customer_required
from portal.accounts.models import Customer, LoginSession
from portal.assets import preferred_encoding
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import page_locale

log = logging.getLogger(__name__)

SITE = "site"
REVISION_KEY = "refund:pages:rev:"  # + customer id, or SITE
REVISION_TTL = 86400  # seconds; far longer than any entry lives
# Tables no customer page shows (delivery bookkeeping, sign-in codes, the audit chain's head, the APP
# bridge's marks): writing them changes no page.
UNSEEN_TABLES = frozenset(
    {"outbox", "console_sms", "otp_challenges", "handoff_token_uses", "audit_head", "embed_bridge_marks"}
)
REDIS_RETRY_SECONDS = 5  # after Redis failed, pages render without asking it for this long
MAX_ENTRY_BYTES = 256 * 1024  # a bigger answer is not kept
KEPT_HEADERS = ("Content-Type", "Vary", "ETag", "Last-Modified", "Cache-Control", "HX-Reswap", "HX-Retarget")
# In the signed session of a sign-in the APP opened (embed mode): its pages are never a visitor's (the APP's
# title bar), so an unknown address renders for that person instead of giving the shared 404 page.
APP_SIGN_IN_HINT = "in_app"
HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target", "HX-Trigger")
_OWNERS = "page_owners"  # in a SQLAlchemy session's info: whose pages its unfinished transaction changes
_NO_STORE = "portal.page_cache.no_store"


@dataclass(slots=True)
class Entry:
    """A kept answer; its brotli and gzip forms are made on first use and kept with it."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float
    encoded: dict[str, bytes] = field(default_factory=dict)

    def response(self) -> Response:
        """The answer, compressed as the browser asks (Flask-Compress leaves an encoded answer alone)."""
        encoding = self.encoding_for(request.accept_encodings, current_app.config)
        response = Response(self.body_for(encoding, current_app.config), self.status, list(self.headers))
        if encoding is not None:
            response.headers["Content-Encoding"] = encoding
            response.vary.add("Accept-Encoding")
        return response

    def encoding_for(self, accept: Accept, config) -> str | None:
        """'br' or 'gzip' as the browser accepts, None for a body too small to be worth it (as Flask-Compress
        decides)."""
        if len(self.body) < config["COMPRESS_MIN_SIZE"]:
            return None
        return preferred_encoding(accept)

    def body_for(self, encoding: str | None, config) -> bytes:
        if encoding is None:
            return self.body
        if (data := self.encoded.get(encoding)) is None:
            data = self.encoded[encoding] = _compress(self.body, encoding, config)
        return data


def _compress(body: bytes, encoding: str, config) -> bytes:
    """As Flask-Compress would, with the same settings."""
    if encoding == "br":
        return brotli.compress(body, quality=config["COMPRESS_BR_LEVEL"])
    return gzip.compress(body, config["COMPRESS_LEVEL"])


class PageStore:
    """A thread-safe LRU of rendered answers, within a byte budget (their compressed forms add about a
    fifth)."""

    def __init__(self, max_bytes: int, max_age: float) -> None:
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.bytes = 0
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > self.max_age:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.bytes += len(entry.body)
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        self.bytes -= len(self._entries.pop(key).body)

    def __len__(self) -> int:
        return len(self._entries)


class Revisions:
    """The shared revision counters in Redis; a failure turns the cache off for a few seconds."""

    def __init__(self, connect: Callable[[], Redis]) -> None:
        # Without retries: a page must not wait for Redis (the failure turns the cache off instead).
        self._connect = connect
        self._client: Redis | None = None
        self._failed_at = 0.0

    def _redis(self) -> Redis | None:
        if time.monotonic() - self._failed_at < REDIS_RETRY_SECONDS:
            return None
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _failed(self, exc: RedisError) -> None:
        self._failed_at = time.monotonic()
        log.warning("page cache off for %ss: Redis failed (%s)", REDIS_RETRY_SECONDS, type(exc).__name__)

    def read(self, customer_id: int) -> tuple[int, int] | None:
        client = self._redis()
        if client is None:
            return None
        try:
            site, own = client.mget(REVISION_KEY + SITE, REVISION_KEY + str(customer_id))
        except RedisError as exc:
            self._failed(exc)
            return None
        return int(site or 0), int(own or 0)

    def raise_(self, owners: Iterable[int | str]) -> None:
        # Always tried (not only after the pause): another process may be reading Redis fine. If Redis does
        # not take it, those owners' entries may outlive the change by up to their age (PAGE_CACHE_SECONDS).
        if self._client is None:
            self._client = self._connect()
        client = self._client
        try:
            with client.pipeline(transaction=False) as pipe:
                for owner in owners:
                    pipe.incr(REVISION_KEY + str(owner))
                    pipe.expire(REVISION_KEY + str(owner), REVISION_TTL)
                pipe.execute()
        except RedisError as exc:
            self._failed(exc)


@contextmanager
def as_visitor():
    """Render as a signed-out visitor would see it (a page that is the same for everyone)."""
    had, user = "_login_user" in g, g.get("_login_user")
    g._login_user = current_app.login_manager.anonymous_user()
    try:
        yield
    finally:
        if had:
            g._login_user = user
        else:
            g.pop("_login_user", None)


def forbid() -> None:
    """This answer must not be given twice (it told the APP news): render it, do not keep it."""
    request.environ[_NO_STORE] = True  # per request, not on g: an app context may outlive one (tests)


def owner_of(obj: object) -> int | str | None:
    """Whose pages a written row changes: a customer id, SITE, or None for rows no page shows."""
    table = getattr(obj, "__tablename__", None)
    if table in UNSEEN_TABLES:
        return None
    if table == "customers":
        return obj.id
    if hasattr(type(obj), "page_owner"):
        # A model without its own customer_id says whose it is (a case event: its case's customer), or None.
        return obj.page_owner
    owner = getattr(obj, "customer_id", None)
    return SITE if owner is None else owner


def _owners(session: Session) -> set:
    return session.info.setdefault(_OWNERS, set())


def _note_flush(session: Session, _transaction: UOWTransaction, _instances) -> None:
    owners = _owners(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if (owner := owner_of(obj)) is not None:
            owners.add(owner)


def _note_statement(state) -> None:
    """Bulk INSERT/UPDATE/DELETE through the session: the statement may name its owner
    (`.execution_options(page_owner=customer_id)`), else it changes the site's pages."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and table.name in UNSEEN_TABLES:
        return
    owner = state.execution_options.get("page_owner", SITE)
    if owner is not None:  # None: the statement changes nothing a page shows (a lock)
        _owners(state.session).add(owner)


def _after_commit(session: Session) -> None:
    owners = session.info.pop(_OWNERS, None)
    if owners and has_app_context():
        revisions = current_app.extensions.get("page_cache_revisions")
        if revisions is not None:
            revisions.raise_(owners)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_OWNERS, None)


def _listen_once(target, name: str, fn) -> None:
    if not event.contains(target, name, fn):
        event.listen(target, name, fn)


def init_app(app: Flask) -> None:
    """The store of this process, and the revisions raised after every commit (of any Session)."""
    seconds = float(app.config["PAGE_CACHE_SECONDS"])
    budget = int(app.config["PAGE_CACHE_BYTES"])
    app.extensions["page_cache"] = PageStore(budget, seconds) if seconds else None
    url = app.config["REDIS_URL"]
    no_retry = Retry(NoBackoff(), 0)
    app.extensions["page_cache_revisions"] = Revisions(
        lambda: Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=no_retry)
    )
    _listen_once(Session, "before_flush", _note_flush)
    _listen_once(Session, "do_orm_execute", _note_statement)
    _listen_once(Session, "after_commit", _after_commit)
    _listen_once(Session, "after_rollback", _forget)


def _key(login_id: str, customer_id: int, customer_locale: str | None) -> tuple | None:
    """The entry's key, or None when this request must render (and not be kept)."""
    if "_flashes" in session or request.if_none_match or request.if_modified_since:
        return None
    revision = current_app.extensions["page_cache_revisions"].read(customer_id)
    if revision is None:
        return None
    htmx = tuple(request.headers.get(name) for name in HTMX_HEADERS)
    requested = request.args.get("lang") or session.get("lang")
    accept = request.headers.get("Accept-Language", "")
    locale = page_locale(requested, customer_locale, accept, current_app.config)  # as select_locale picks
    return (login_id, request.full_path, htmx, locale, revision)


@cache
def _sign_in_statement():
    """The sign-in behind a cookie, if it is a customer's and not ended (built once, on first use)."""
    return (
        select(LoginSession.customer_id, LoginSession.created_at, Customer.locale)
        .join(Customer, Customer.id == LoginSession.customer_id)
        .where(LoginSession.id == bindparam("login_id"), LoginSession.ended_at.is_(None))
    )


def _kept_answer(store: PageStore) -> Entry | None:
    """The kept answer for this request, checked as the customer guard and the user loader would check
    the sign-in, in one query outside any transaction; None sends the request the usual way (which also
    refreshes the cookie's last-seen time once a minute, ends a sign-in that ran out, and so on)."""
    login_id, seen = session.get(SIGN_IN_ID), session.get(SEEN)
    now = utcnow()
    # Seen within the minute: the usual way would neither end the sign-in for idleness nor refresh the time.
    since_seen = now.replace(tzinfo=UTC).timestamp() - seen if isinstance(seen, int) else None
    if not isinstance(login_id, str) or since_seen is None or not 0 <= since_seen < SEEN_GRANULARITY:
        return None
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            row = conn.execute(_sign_in_statement(), {"login_id": login_id}).first()
    except SQLAlchemyError:
        return None  # the usual way answers (or reports the database's trouble)
    absolute = timedelta(seconds=current_app.config["SESSION_ABSOLUTE_SECONDS"])
    if row is None or now - row.created_at > absolute:
        return None
    key = _key(login_id, row.customer_id, row.locale)
    return None if key is None else store.get(key)


def _keep(store: PageStore, key: tuple, response: Response) -> None:
    if (
        response.status_code != 200
        or response.mimetype != "text/html"
        or response.is_streamed
        or "Set-Cookie" in response.headers
        or request.environ.get(_NO_STORE)
        or "_flashes" in session
    ):
        return
    body = response.get_data()
    if len(body) > MAX_ENTRY_BYTES:
        return
    headers = tuple((name, value) for name in KEPT_HEADERS for value in response.headers.getlist(name))
    store.put(key, Entry(response.status_code, headers, body, time.monotonic()))


def cached_page(view):
    """A customer page's view, guarded as `customer_required` guards (it replaces that decorator) and kept.

    A GET is first offered the kept answer after checking the sign-in itself (`_kept_answer`: no user
    loaded); otherwise the guard loads the customer as usual, and the kept answer is looked up again under
    the loaded sign-in before the view renders and its answer is kept."""
    plain = customer_required(view)

    @customer_required
    def reuse_or_render(*args, **kwargs):
        store = current_app.extensions["page_cache"]
        key = _key(current_user.login_session.id, current_user.id, current_user.locale)
        if key is not None and (entry := store.get(key)) is not None:
            return entry.response()
        response = make_response(view(*args, **kwargs))
        if key is not None:
            _keep(store, key, response)
        return response

    @wraps(view)
    def wrapper(*args, **kwargs):
        store = current_app.extensions["page_cache"]
        if store is None or request.method != "GET":
            return plain(*args, **kwargs)
        if (entry := _kept_answer(store)) is not None:
            return entry.response()
        return reuse_or_render(*args, **kwargs)

    wrapper.page_cache = True
    return wrapper
