"""Limits on how often something may happen (code sends per phone and IP, failed staff sign-ins per name and
IP, support messages per customer), counted with the `limits` library in Redis, so that every web process
sees the same counts, and in this process's memory while Redis does not answer (a limit still holds, per
process, rather than no limit at all or an error page).

No limit applies to every request, so nothing here runs on a request that does not ask (a request-wide
limiter's hooks would cost each page a little for nothing)."""

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

EXTENSION = "refund_throttle"
T = TypeVar("T")
RETRY_SECONDS = 30  # after Redis failed, counts stay in memory this long before Redis is asked again


class Counts:
    """Fixed-window counts in the shared storage, falling back to memory while it fails."""

    def __init__(self, storage_uri: str) -> None:
        self.shared = FixedWindowRateLimiter(storage_from_string(storage_uri, wrap_exceptions=True))
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.retry_at = 0.0

    def ask(self, question: Callable[[FixedWindowRateLimiter], T]) -> T:
        if time.monotonic() >= self.retry_at:
            try:
                return question(self.shared)
            except StorageError as error:
                self.retry_at = time.monotonic() + RETRY_SECONDS
                log.warning(
                    "limits counted in memory for %ss: storage failed (%s)",
                    RETRY_SECONDS,
                    type(error.storage_error).__name__,
                )
        return question(self.local)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Counts(app.config["RATELIMIT_STORAGE_URI"] or app.config["REDIS_URL"])


def _counts() -> Counts:
    return current_app.extensions[EXTENSION]


def allow(limit_spec: str, scope: str, key: str) -> bool:
    """Count one hit against every limit in the spec; False when any is already spent."""
    if spent(limit_spec, scope, key):
        return False
    count(limit_spec, scope, key)
    return True


def spent(limit_spec: str, scope: str, key: str) -> bool:
    """Whether any limit in the spec has no hit left (nothing is counted)."""
    items = parse_many(limit_spec)
    return _counts().ask(lambda counts: not all(counts.test(item, scope, key) for item in items))


def count(limit_spec: str, scope: str, key: str) -> None:
    """Count one hit against every limit in the spec."""
    items = parse_many(limit_spec)
    _counts().ask(lambda counts: [counts.hit(item, scope, key) for item in items])


def wait_minutes(limit_spec: str, scope: str, key: str) -> int:
    """Whole minutes until every spent limit has a hit again (at least 1)."""
    items = parse_many(limit_spec)
    now = time.time()
    waits = _counts().ask(lambda counts: [_wait(counts, item, scope, key, now) for item in items])
    return max(1, math.ceil(max(waits, default=0) / 60))


def _wait(counts: FixedWindowRateLimiter, item: RateLimitItem, scope: str, key: str, now: float) -> float:
    stats = counts.get_window_stats(item, scope, key)
    return stats.reset_time - now if stats.remaining <= 0 else 0
