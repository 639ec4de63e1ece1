"""Readiness checks: each answers ok or not with a short reason, never personal data or a secret.

Cheap enough to poll every second: one query (the Alembic version), one Redis round trip (PING and the
clock's heartbeat), and a storage write probe at most every STORAGE_PROBE_SECONDS per process.
"""

from dataclasses import dataclass
from threading import Lock

from redis import Redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

from portal.evidence.storage import Storage
from portal.queueing import CLOCK_HEARTBEAT_KEY

# Platform choices (docs/operations.md): how old the clock's last tick may be, how often storage is probed.
CLOCK_STALE_SECONDS = 120
STORAGE_PROBE_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def database(engine: Engine, heads: frozenset[str]) -> Check:
    """The database answers and its schema is at the migrations' head."""
    try:
        with engine.connect() as conn:
            versions = frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the class name is the reason
        return Check("database", False, type(exc).__name__)
    if versions != heads:
        return Check("database", False, "migrations not at head")
    return Check("database", True)


def redis_and_clock(connection: Redis, now: float) -> list[Check]:
    """Redis answers; the worker's clock ticked less than CLOCK_STALE_SECONDS ago."""
    try:
        _, last = connection.pipeline(transaction=False).ping().get(CLOCK_HEARTBEAT_KEY).execute()
    except Exception as exc:  # noqa: BLE001
        return [Check("redis", False, type(exc).__name__), Check("clock", False, "redis unreachable")]
    if last is None:
        return [Check("redis", True), Check("clock", False, "never seen")]
    age = now - float(last)
    return [Check("redis", True), Check("clock", age < CLOCK_STALE_SECONDS, f"{age:.0f}s ago")]


class StorageProbe:
    """Write and delete a small object; the verdict is kept for STORAGE_PROBE_SECONDS."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._at = float("-inf")
        self._verdict = Check("storage", False, "not probed")

    def __call__(self, store: Storage, now: float) -> Check:
        with self._lock:
            if now - self._at >= STORAGE_PROBE_SECONDS or not self._verdict.ok:
                self._verdict = self._probe(store)
                self._at = now
            return self._verdict

    @staticmethod
    def _probe(store: Storage) -> Check:
        try:
            store.delete(store.save(b"readyz", ".txt"))
        except Exception as exc:  # noqa: BLE001
            return Check("storage", False, type(exc).__name__)
        return Check("storage", True)
